//! This process's stdin and stdout, as the transport reads and writes them.
//!
//! tokio's `Stdin` and `Stdout` hand every read and every write to a thread of the blocking
//! pool and wake the task when it is done: two hand-offs between threads on each call, and
//! the pool's first threads started while the client waits for `initialize`. An MCP client
//! spawns `serve` with pipes (Python, Codex) or socket pairs (Node's libuv: Claude Code), and
//! on Unix both can be read and written without blocking, their readiness coming from the
//! runtime's reactor like any socket's. So when stdin or stdout is one of those, it is
//! switched to non-blocking and served that way; anything else (a terminal, a file,
//! `/dev/null`, Windows) keeps tokio's own.
//!
//! Non-blocking is a flag of the open file, shared with whoever else holds it (a shell that
//! started `serve` and reads the same stdin after it), so [`Restore`] puts each flag back as it
//! found it when it is dropped, at the end of serving, and [`put_back`] does the same on the
//! way out of a panic (the release build aborts on one: no drop runs).

use tokio::io::{AsyncRead, AsyncWrite};

/// What reads the client's requests.
pub(super) type Input = Box<dyn AsyncRead + Unpin + Send>;
/// What writes to the client.
pub(super) type Output = Box<dyn AsyncWrite + Unpin + Send>;

/// Puts the flags of stdin and stdout back as they were, when dropped.
pub(super) struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        put_back();
    }
}

/// The flags switched by [`open`], until they are put back.
#[cfg(unix)]
static SWITCHED: std::sync::Mutex<Vec<unix::Restore>> = std::sync::Mutex::new(Vec::new());

/// Puts back the flags [`open`] switched, if any are still switched: at the end of serving,
/// and from the panic hook. Never waits: a panic while the list is held skips it.
pub fn put_back() {
    #[cfg(unix)]
    if let Ok(mut files) = SWITCHED.try_lock() {
        // Last switched, first restored: when stdin and stdout are one open file (one socket
        // for both), stdout's record holds the flags stdin's switch made, and stdin's the
        // original ones, which must be the last written.
        while files.pop().is_some() {}
    }
}

/// Opens stdin and stdout, inside the runtime (the reactor registers them); keep the
/// [`Restore`] until serving ends.
pub(super) fn open() -> (Input, Output, Restore) {
    #[cfg(unix)]
    {
        let mut files = Vec::new();
        let input = match unix::reader() {
            Some((reader, restore)) => {
                files.push(restore);
                reader
            }
            None => Box::new(tokio::io::stdin()),
        };
        let output = match unix::writer() {
            Some((writer, restore)) => {
                files.push(restore);
                writer
            }
            None => Box::new(tokio::io::stdout()),
        };
        SWITCHED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(files);
        (input, output, Restore)
    }
    #[cfg(not(unix))]
    (
        Box::new(tokio::io::stdin()),
        Box::new(tokio::io::stdout()),
        Restore,
    )
}

#[cfg(unix)]
mod unix {
    use std::fs::File;
    use std::io;
    use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
    use std::os::unix::fs::FileTypeExt;

    use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl, fstat};
    use tokio::net::UnixStream;
    use tokio::net::unix::pipe;

    use super::{Input, Output};

    /// Puts an open file's flags back as they were (its blocking mode, the one that changes),
    /// through a descriptor of its own for the same open file.
    pub struct Restore {
        fd: OwnedFd,
        flags: OFlags,
    }

    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = fcntl_setfl(&self.fd, self.flags);
        }
    }

    /// What an open file is, as far as reading it without blocking goes.
    enum Kind {
        Pipe,
        Socket,
    }

    /// The file behind `fd` (a duplicate: the same open file) if it is a pipe or a socket,
    /// with what restores its flags.
    fn open(fd: BorrowedFd<'_>) -> Option<(File, Kind, Restore)> {
        let file = File::from(fd.try_clone_to_owned().ok()?);
        let kind = file.metadata().ok()?.file_type();
        let kind = if kind.is_fifo() {
            Kind::Pipe
        } else if kind.is_socket() {
            Kind::Socket
        } else {
            return None;
        };
        let flags = fcntl_getfl(&file).ok()?;
        let fd = fd.try_clone_to_owned().ok()?;
        Some((file, kind, Restore { fd, flags }))
    }

    /// A socket of the client's as a non-blocking stream registered with the reactor.
    fn socket(file: File) -> io::Result<UnixStream> {
        let stream = std::os::unix::net::UnixStream::from(OwnedFd::from(file));
        stream.set_nonblocking(true)?;
        UnixStream::from_std(stream)
    }

    pub fn reader() -> Option<(Input, Restore)> {
        served(
            io::stdin().as_fd(),
            |file| Ok(Box::new(pipe::Receiver::from_file(file)?) as Input),
            |socket| Box::new(socket) as Input,
        )
    }

    pub fn writer() -> Option<(Output, Restore)> {
        // Sharing an open file with stderr (`2>&1` into a pipe), stdout stays blocking:
        // stderr's writers (the log, a panic's message) expect it to block, not to fail.
        if same_file(io::stdout().as_fd(), io::stderr().as_fd()) {
            return None;
        }
        served(
            io::stdout().as_fd(),
            |file| Ok(Box::new(pipe::Sender::from_file(file)?) as Output),
            |socket| Box::new(socket) as Output,
        )
    }

    /// True when `a` and `b` are the same file (device and inode), such as one pipe.
    fn same_file(a: BorrowedFd<'_>, b: BorrowedFd<'_>) -> bool {
        let id = |fd| fstat(fd).ok().map(|st| (st.st_dev, st.st_ino));
        matches!((id(a), id(b)), (Some(a), Some(b)) if a == b)
    }

    /// `fd` as a stream of the reactor's: `pipe` makes it of a pipe, `socket` of a socket.
    fn served<T>(
        fd: BorrowedFd<'_>,
        pipe: impl FnOnce(File) -> io::Result<T>,
        socket: impl FnOnce(UnixStream) -> T,
    ) -> Option<(T, Restore)> {
        let (file, kind, restore) = open(fd)?;
        let stream = match kind {
            Kind::Pipe => pipe(file).ok()?,
            Kind::Socket => socket(self::socket(file).ok()?),
        };
        Some((stream, restore))
    }
}
