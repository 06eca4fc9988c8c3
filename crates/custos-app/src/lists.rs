//! Publishing a version of a designated-persons list, by any door: `custos lists import`, the
//! designations entered through the API, the demo. Every version goes through
//! [`App::publish_entities`]: unchanged content is not stored again; a version that loses more
//! than a tenth of the entries at once, or that looks like another list under the same name, is
//! refused unless the caller says it is right; the diff against the current version is kept
//! with it.

use custos_core::screening::ListMeasure;
use custos_screen::import::{Format, import_reader};
use custos_screen::version::{Diff, content_hash, diff};
use custos_screen::{ListEntity, ListVersion};

use crate::error::{Error, Result};
use crate::service::App;

/// What to publish the entities as.
#[derive(Debug, Clone)]
pub struct Publication {
    /// The list's name.
    pub list: String,
    /// The format name (`ofac-xml`, `custos-toml`, `custos-api`).
    pub format: String,
    /// Where the entities came from (a file, `api:<key>`).
    pub source: String,
    pub measure: ListMeasure,
    /// A version with fewer than nine tenths of the current version's entries is published.
    pub allow_shrink: bool,
    /// The name was only guessed from the format and the file: a version that shares little
    /// with the current one, from another source or in another format, is refused.
    pub name_guessed: bool,
}

/// What publishing did.
#[derive(Debug, Clone)]
pub enum Published {
    /// The content and measure are those of the current version: nothing was stored.
    Unchanged {
        version: i64,
        entries: usize,
        content_hash: String,
    },
    /// A new current version.
    Saved {
        version: i64,
        list: ListVersion,
        diff: Diff,
    },
    /// Refused: the version has `entries` where the current one has `current`.
    Shrinks { entries: usize, current: usize },
    /// Refused: the name was guessed, and the current version under it is another list.
    OtherList {
        version: i64,
        format: String,
        source: String,
        entries: usize,
        shared: usize,
    },
}

impl App {
    /// Reads a list from `reader` (see [`custos_screen::import::import_reader`]; `name` names
    /// it in messages) and publishes it.
    pub async fn publish_list(
        &self,
        format: Format,
        reader: impl std::io::Read + Send + 'static,
        name: &str,
        p: Publication,
    ) -> Result<Published> {
        let label = name.to_owned();
        let entities = tokio::task::spawn_blocking(move || import_reader(format, reader, &label))
            .await?
            .map_err(|e| Error::invalid("list", format!("{} was not read: {e}", p.list)))?;
        self.publish_entities(entities, p).await
    }

    /// Publishes entities (canonical and sorted by id, as the importers return them) as the
    /// list's new current version.
    pub async fn publish_entities(
        &self,
        entities: Vec<ListEntity>,
        p: Publication,
    ) -> Result<Published> {
        let store = self.store();
        let hash = content_hash(&entities);
        let versions = store.list_versions(Some(&p.list)).await?;
        let current = versions.iter().find(|v| v.current);
        let previous = match current {
            Some(c) if c.version.content_hash == hash && c.version.measure == p.measure => {
                return Ok(Published::Unchanged {
                    version: c.id,
                    entries: c.version.entries,
                    content_hash: hash,
                });
            }
            Some(c) => store.list_entries(c.id).await?,
            None => vec![],
        };
        // Lists grow slowly and shrink slowly: a version that loses more than a tenth of the
        // entries at once is far likelier a broken download than a mass delisting.
        if !p.allow_shrink && entities.len() * 10 < previous.len() * 9 {
            return Ok(Published::Shrinks {
                entries: entities.len(),
                current: previous.len(),
            });
        }
        // A guessed name (two OpenSanctions exports are both `entities.ftm.json`) may not
        // replace another list's content. A list's next version comes in the same format, and
        // from the same source or keeping at least half of its entries.
        if let Some(c) = current
            && p.name_guessed
        {
            let ids: std::collections::HashSet<&str> =
                entities.iter().map(|e| e.id.as_str()).collect();
            let shared = previous
                .iter()
                .filter(|e| ids.contains(e.id.as_str()))
                .count();
            let same = c.version.format == p.format
                && (c.version.source == p.source || shared * 2 >= previous.len());
            if !same {
                return Ok(Published::OtherList {
                    version: c.id,
                    format: c.version.format.clone(),
                    source: c.version.source.clone(),
                    entries: previous.len(),
                    shared,
                });
            }
        }
        let d = diff(&previous, &entities);
        let v = ListVersion {
            list: p.list,
            format: p.format,
            source: p.source,
            retrieved_at: self.now(),
            content_hash: hash,
            entries: entities.len(),
            measure: p.measure,
        };
        let saved = store.save_list_version(&v, &entities, &d).await?;
        Ok(Published::Saved {
            version: saved.id,
            list: v,
            diff: d,
        })
    }

    /// The name's current entries, and its current version's id.
    pub async fn current_list(&self, list: &str) -> Result<(Option<i64>, Vec<ListEntity>)> {
        let store = self.store();
        let current = store
            .list_versions(Some(list))
            .await?
            .into_iter()
            .find(|v| v.current);
        Ok(match current {
            Some(v) => (Some(v.id), store.list_entries(v.id).await?),
            None => (None, vec![]),
        })
    }

    /// Every version of a list, or of every list.
    pub async fn list_versions(
        &self,
        list: Option<&str>,
    ) -> Result<Vec<crate::records::StoredListVersion>> {
        Ok(self.store().list_versions(list).await?)
    }
}
