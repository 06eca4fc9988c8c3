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

use crate::designations::API_LIST;
use crate::error::{Error, Result};
use crate::service::App;
use serde::Serialize;

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
    /// The version the entities were made from, when they were merged into what the list
    /// held (`Some(None)`: it held nothing): if another became current since, nothing is
    /// stored (a conflict). `None`: they replace whatever is current.
    pub based_on: Option<Option<i64>>,
}

/// What publishing did. A `version` is the version's number within its list.
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
        let (entities, p) = self.one_designations_list(entities, p).await?;
        let store = self.store();
        let hash = content_hash(&entities);
        let versions = store.list_versions(Some(&p.list)).await?;
        let current = versions.iter().find(|v| v.current);
        let previous = match current {
            Some(c) if c.version.content_hash == hash && c.version.measure == p.measure => {
                return Ok(Published::Unchanged {
                    version: c.number,
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
                    version: c.number,
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
        let file_of_designations = v.list == API_LIST && v.format == Format::CustosToml.name();
        let based_on = match p.based_on {
            Some(base) => base.unwrap_or(0),
            None => current.map_or(0, |c| c.id),
        };
        let saved = store
            .save_list_version(&v, &entities, &d, Some(based_on))
            .await?;
        if file_of_designations {
            self.retire_other_designation_lists().await?;
        }
        Ok(Published::Saved {
            version: saved.number,
            list: v,
            diff: d,
        })
    }

    /// Designations are kept in one list, [`API_LIST`]: a designations file (`custos-toml`)
    /// goes there, whatever name it was given by default. The file's designations replace those
    /// of the file before it; the ones entered through the API stay, and a file naming one of
    /// them is refused. A name of the caller's other than that list's is refused, and so is any
    /// other list under that name.
    async fn one_designations_list(
        &self,
        entities: Vec<ListEntity>,
        mut p: Publication,
    ) -> Result<(Vec<ListEntity>, Publication)> {
        if p.format != Format::CustosToml.name() {
            if p.list == API_LIST && p.format != "custos-api" {
                return Err(Error::invalid(
                    "list",
                    format!(
                        "{API_LIST} holds special-measure designations only (a custos-toml \
                         file): import this list under a name of its own"
                    ),
                ));
            }
            return Ok((entities, p));
        }
        if p.list != API_LIST && !p.name_guessed {
            return Err(Error::invalid(
                "list",
                format!(
                    "designations are kept in one list, {API_LIST}: import the file without \
                     --name (or with --name {API_LIST})"
                ),
            ));
        }
        p.list = API_LIST.to_owned();
        p.name_guessed = false;
        let ids: std::collections::HashSet<String> = entities
            .iter()
            .filter_map(|e| e.designation.as_ref().map(|d| d.id.clone()))
            .collect();
        let (base, current) = self.current_list(API_LIST).await?;
        p.based_on = Some(base);
        let mut kept = vec![];
        for mut e in current {
            let Some(d) = e.designation.as_deref_mut() else {
                continue;
            };
            if !self.entered(d).await? {
                continue;
            }
            // A file does not take over what a person entered (and may have extended).
            if ids.contains(&d.id) {
                return Err(Error::Conflict(format!(
                    "designation {} was entered through the API or `custos designations add`: \
                     a file may not replace it: give the file's designation another id",
                    d.id
                )));
            }
            // From now on the list also holds a file's: the entered ones say so, and bear their
            // own ids (those entered before were kept as `custos-<id>`).
            d.entered = true;
            e.id = d.id.clone();
            kept.push(e);
        }
        let mut merged: Vec<ListEntity> = kept.into_iter().chain(entities).collect();
        merged.sort_by(|a, b| a.id.cmp(&b.id));
        Ok((merged, p))
    }

    /// Designations imported before they were one list were kept under the name they were
    /// imported as (`special-measures` by default): once the file is imported into
    /// [`API_LIST`], such a list gets an empty version, so that its designations are not
    /// screened twice. Its versions stay, for the record.
    async fn retire_other_designation_lists(&self) -> Result<()> {
        let store = self.store();
        for c in store.list_versions(None).await? {
            let designations = matches!(c.version.format.as_str(), "custos-toml" | "custos-api");
            if !c.current || c.version.list == API_LIST || !designations || c.version.entries == 0 {
                continue;
            }
            let before = store.list_entries(c.id).await?;
            let v = ListVersion {
                list: c.version.list.clone(),
                format: c.version.format.clone(),
                source: format!("superseded by the list {API_LIST}"),
                retrieved_at: self.now(),
                content_hash: content_hash(&[]),
                entries: 0,
                measure: c.version.measure,
            };
            store
                .save_list_version(&v, &[], &diff(&before, &[]), Some(c.id))
                .await?;
        }
        Ok(())
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

    /// `(list, version id)` pairs as people are shown them: each version by its number within
    /// its list.
    pub async fn numbered(
        &self,
        covered: &[(String, i64)],
    ) -> Result<Vec<crate::screening::ScreenedList>> {
        let numbers: std::collections::HashMap<i64, i64> = self
            .store()
            .list_versions(None)
            .await?
            .into_iter()
            .map(|v| (v.id, v.number))
            .collect();
        Ok(covered
            .iter()
            .map(|(l, id)| crate::screening::ScreenedList {
                list: l.clone(),
                version: numbers.get(id).copied().unwrap_or(*id),
            })
            .collect())
    }

    /// Every version of a list, or of every list.
    pub async fn list_versions(
        &self,
        list: Option<&str>,
    ) -> Result<Vec<crate::records::StoredListVersion>> {
        Ok(self.store().list_versions(list).await?)
    }
}

/// A version's changes with the names of the entries, not only their ids: added and changed
/// as this version has them, removed as the version before had them.
#[derive(Debug, Clone, Serialize)]
pub struct NamedDiff {
    pub list: String,
    pub number: i64,
    pub added: Vec<(String, String)>,
    pub changed: Vec<(String, String)>,
    pub removed: Vec<(String, String)>,
}

impl App {
    /// Version `number` of a list (its current one when `None`), with its diff named.
    pub async fn named_diff(&self, list: &str, number: Option<i64>) -> Result<NamedDiff> {
        let versions = self.store().list_versions(Some(list)).await?;
        if versions.is_empty() {
            return Err(Error::NotFound(format!("list {list}")));
        }
        let v = match number {
            Some(n) => versions.iter().find(|v| v.number == n),
            None => versions.iter().find(|v| v.current),
        }
        .ok_or_else(|| match number {
            Some(n) => Error::NotFound(format!("version {n} of list {list}")),
            None => Error::NotFound(format!("a current version of list {list}")),
        })?;
        let names = |entries: Vec<ListEntity>| -> std::collections::HashMap<String, String> {
            entries
                .into_iter()
                .map(|e| (e.id.clone(), e.primary_name().to_owned()))
                .collect()
        };
        let now = names(self.store().list_entries(v.id).await?);
        let before = match versions.iter().find(|x| x.number == v.number - 1) {
            Some(p) => names(self.store().list_entries(p.id).await?),
            None => Default::default(),
        };
        let named = |ids: &[String], from: &std::collections::HashMap<String, String>| {
            ids.iter()
                .map(|id| (id.clone(), from.get(id).cloned().unwrap_or_default()))
                .collect()
        };
        Ok(NamedDiff {
            list: list.to_owned(),
            number: v.number,
            added: named(&v.diff.added, &now),
            changed: named(&v.diff.changed, &now),
            removed: named(&v.diff.removed, &before),
        })
    }
}

/// A list file handed over whole (an upload through the console).
#[derive(Debug, Clone)]
pub struct Upload {
    /// The list's name.
    pub list: String,
    /// The format's name (`ofac-xml`, `un-xml`, `custos-toml`, ...).
    pub format: String,
    /// What its hits ask (`prohibition`, `review`, `informational`); none for designations,
    /// each of which carries its own, and for the format's default.
    pub measure: Option<String>,
    pub allow_shrink: bool,
    pub file_name: String,
}

impl App {
    /// Publishes an uploaded list file as its list's new version, with every guard of
    /// [`App::publish_entities`] (the shrink guard first); audited. When a version is saved,
    /// every customer is screened again, as after `custos lists import`.
    pub async fn publish_upload(
        &self,
        actor: &crate::Actor,
        u: Upload,
        bytes: Vec<u8>,
    ) -> Result<(Published, Option<crate::screening::RescreenReport>)> {
        let list = custos_core::text::free_text("list", &u.list)?;
        let format = Format::parse(u.format.trim()).map_err(|e| Error::invalid("format", e))?;
        if format == Format::OfacCsv {
            return Err(Error::invalid(
                "format",
                "ofac-csv comes as several files (sdn.csv and its companions): import it with \
                 `custos lists import`, or upload the same list as ofac-xml",
            ));
        }
        let measure = match (format.default_measure(), u.measure.as_deref()) {
            (None, Some(_)) => {
                return Err(Error::invalid(
                    "measure",
                    "a designations file's entries each carry their own measure",
                ));
            }
            (None, None) => ListMeasure::default(),
            (Some(default), m) => m
                .map(ListMeasure::parse)
                .transpose()
                .map_err(|e| Error::invalid("measure", e))?
                .unwrap_or(default),
        };
        if bytes.is_empty() {
            return Err(Error::invalid("file", "is empty"));
        }
        let p = Publication {
            list: list.clone(),
            format: format.name().into(),
            source: format!("upload:{}", u.file_name.trim()),
            measure,
            allow_shrink: u.allow_shrink,
            name_guessed: false,
            based_on: None,
        };
        let published = self
            .publish_list(format, std::io::Cursor::new(bytes), &list, p)
            .await?;
        let rescreened = if let Published::Saved { version, .. } = &published {
            self.audit(
                actor,
                None,
                "publish_list_version",
                &format!("{list}/{version}"),
            )
            .await?;
            Some(self.rescreen_all(actor, |_| {}).await?)
        } else {
            None
        };
        Ok((published, rescreened))
    }
}
