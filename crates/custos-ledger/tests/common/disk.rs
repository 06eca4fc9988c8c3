//! A small disk for the fault tests: a tmpfs of its own, filled on demand.

use std::io::Write;
use std::path::Path;
use std::process::Command;

/// A small tmpfs of its own, unmounted when dropped. The fault tests need it (and so root, as
/// CI runs): they fail loudly where it cannot be had, never pass quietly.
#[derive(Debug)]
pub struct SmallDisk(tempfile::TempDir);

impl SmallDisk {
    pub fn new(bytes: u64) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}")])
            .arg("tmpfs")
            .arg(dir.path())
            .output()
            .expect("mount(8) is needed to make a small disk");
        assert!(
            out.status.success(),
            "cannot mount a {bytes}-byte tmpfs (the full-disk tests need root): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallDisk(dir)
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// Fills the disk but `leave` bytes (about: tmpfs counts pages) with a file to free later.
    pub fn fill(&self, leave: u64) -> std::path::PathBuf {
        let filler = self.path().join("filler");
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0x5a; 4096];
        loop {
            let free = fs_free(self.path());
            if free <= leave {
                break;
            }
            let n = (free - leave).min(chunk.len() as u64) as usize;
            if f.write_all(&chunk[..n]).is_err() {
                break;
            }
        }
        f.sync_all().ok();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0.path()).status();
    }
}

pub fn fs_free(p: &Path) -> u64 {
    let out = Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(p)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap()
}
