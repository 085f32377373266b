// SIGTERM, SIGINT, SIGHUP and SIGUSR1 for the daemon loop, delivered as bytes on a pipe.
//
// Why not block them and use a signalfd: a blocked mask is inherited across fork() and exec(),
// so every process an application starts (subprocess, multiprocessing) would ignore SIGTERM
// for its whole life. A handler is reset by exec() and leaves the mask alone; in a child that
// was forked without exec it restores the default action, so the child is not mistaken for
// the daemon.
#pragma once

namespace wsgid::python {

// Installs the handlers (unblocking the signals if the caller had blocked them). Returns the
// read end of the pipe (O_NONBLOCK, close-on-exec), or -1 with errno set.
int install_control_signals();

// The next signal number waiting on `fd`, or 0 if none.
int read_control_signal(int fd);

}  // namespace wsgid::python
