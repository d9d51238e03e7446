//! stdout as a Unix tool treats it (I/O): once the reader went away (`trailhub plan | head`), the rest of
//! the output is dropped quietly, as `cat` or `grep` would, instead of ending the run with "Broken pipe".
//! The command finishes and its exit code stands.

use std::io::{self, Write};

/// A writer that drops everything after the reader closed the pipe (EPIPE).
#[derive(Debug)]
pub struct ClosedPipeQuiet<W> {
    inner: W,
    closed: bool,
}

impl<W: Write> ClosedPipeQuiet<W> {
    pub fn new(inner: W) -> Self {
        ClosedPipeQuiet {
            inner,
            closed: false,
        }
    }

    /// Whether the reader went away.
    pub fn closed(&self) -> bool {
        self.closed
    }

    fn quiet<T>(&mut self, r: io::Result<T>, dropped: T) -> io::Result<T> {
        match r {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(dropped)
            }
            r => r,
        }
    }
}

impl<W: Write> Write for ClosedPipeQuiet<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        let r = self.inner.write(buf);
        self.quiet(r, buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let r = self.inner.flush();
        self.quiet(r, ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pipe whose reader leaves after `room` bytes.
    struct Pipe {
        room: usize,
        got: Vec<u8>,
    }

    impl Write for Pipe {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.got.len() >= self.room {
                return Err(io::Error::from(io::ErrorKind::BrokenPipe));
            }
            self.got.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_rest_is_dropped_once_the_reader_left() {
        let mut out = ClosedPipeQuiet::new(Pipe {
            room: 6,
            got: Vec::new(),
        });
        for line in ["one\n", "two\n", "three\n"] {
            out.write_all(line.as_bytes()).unwrap();
        }
        out.flush().unwrap();
        assert!(out.closed());
        assert_eq!(out.inner.got, b"one\ntwo\n");
    }

    #[test]
    fn other_errors_still_fail() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from(io::ErrorKind::StorageFull))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut out = ClosedPipeQuiet::new(Full);
        assert!(out.write_all(b"x").is_err());
        assert!(!out.closed());
    }
}
