//! Backups of the bucket policy (file I/O): the live text, as it was, saved before trailhub replaces it.
//! `apply` and `restore-policy` both back up through here.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::ApplyError;

/// Saves the live policy text, as it was, to a new file in `dir` (written to a temporary name, synced,
/// then renamed, so a crash never leaves half a backup).
pub fn backup_policy(dir: &Path, bucket: &str, text: &str) -> Result<PathBuf, ApplyError> {
    let err = |path: &Path, source| ApplyError::Backup {
        path: path.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| err(dir, e))?;
    let now = time::OffsetDateTime::now_utc();
    let stamp = now
        .format(&time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap_or_else(|_| now.unix_timestamp().to_string());
    let mut n = 0;
    loop {
        let name = if n == 0 {
            format!("{bucket}-{stamp}.json")
        } else {
            format!("{bucket}-{stamp}-{n}.json")
        };
        let path = dir.join(name);
        let tmp = dir.join(format!(".{bucket}-{stamp}-{n}.tmp"));
        if path.exists() {
            n += 1;
            continue;
        }
        let mut f = std::fs::File::create(&tmp).map_err(|e| err(&tmp, e))?;
        f.write_all(text.as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(|e| err(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| err(&path, e))?;
        return Ok(path);
    }
}
