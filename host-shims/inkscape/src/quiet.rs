//! Keeps the shim's stdout and stderr clean while the library runs. Inkscape reads stdout as the
//! new document and turns any byte on stderr into a modal dialog (which hangs batch mode), so
//! nothing the library or its dependencies might print (driver warnings, logs) may reach them.
//! While a [`Silence`] lives, file descriptors 1 and 2 point at /dev/null.

/// Redirects stdout and stderr to /dev/null until dropped.
pub struct Silence {
    #[cfg(unix)]
    saved: Vec<(libc::c_int, libc::c_int)>,
}

impl Silence {
    #[cfg(unix)]
    pub fn begin() -> Silence {
        let mut saved = Vec::new();
        // SAFETY: plain descriptor calls; every descriptor opened here is closed in Drop.
        unsafe {
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
            if null >= 0 {
                for fd in [libc::STDOUT_FILENO, libc::STDERR_FILENO] {
                    let copy = libc::dup(fd);
                    if copy >= 0 && libc::dup2(null, fd) >= 0 {
                        saved.push((fd, copy));
                    } else if copy >= 0 {
                        libc::close(copy);
                    }
                }
                libc::close(null);
            }
        }
        Silence { saved }
    }

    #[cfg(not(unix))]
    pub fn begin() -> Silence {
        Silence {}
    }
}

impl Drop for Silence {
    fn drop(&mut self) {
        #[cfg(unix)]
        for &(fd, copy) in &self.saved {
            // SAFETY: `copy` is the descriptor saved in `begin`, restored and closed once.
            unsafe {
                libc::dup2(copy, fd);
                libc::close(copy);
            }
        }
    }
}
