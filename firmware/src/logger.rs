//! defmt global logger: encoded frames are buffered and written to semihosting stdout
//! (the `:tt` stream), which QEMU forwards to its semihosting chardev.
//!
//! Single context only: the images run no interrupt handlers that log (a fault handler
//! logs once and exits). Written without panic paths, so that the `panic-check` image
//! tests the programme and not this code: hence the raw semihosting calls (the
//! `semihosting` crate's `io` layer asserts on its file descriptors).

use core::cell::UnsafeCell;

use semihosting::sys::arm_compat::syscall::{syscall_readonly, OperationNumber, ParamRegR};

const BUF_LEN: usize = 64;

struct State {
    encoder: defmt::Encoder,
    out: Out,
}

struct Out {
    stdout: Option<usize>,
    opened: bool,
    buf: [u8; BUF_LEN],
    len: usize,
}

impl Out {
    fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.len >= BUF_LEN {
                self.flush();
            }
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
    }

    fn flush(&mut self) {
        if !self.opened {
            self.opened = true;
            self.stdout = open_stdout();
        }
        let mut data = self.buf.get(..self.len).unwrap_or(&[]);
        self.len = 0;
        let Some(fd) = self.stdout else {
            return;
        };
        while !data.is_empty() {
            let not_written = write(fd, data);
            if not_written >= data.len() {
                return;
            }
            data = data.get(data.len() - not_written..).unwrap_or(&[]);
        }
    }
}

/// SYS_OPEN of `:tt` for writing: the semihosting host's stdout.
fn open_stdout() -> Option<usize> {
    const TT: &[u8] = b":tt\0";
    const MODE_W: usize = 4;
    let block = [ParamRegR::ptr(TT.as_ptr()), ParamRegR::usize(MODE_W), ParamRegR::usize(TT.len() - 1)];
    // SAFETY: SYS_OPEN reads the parameter block and the NUL-terminated name only.
    let fd = unsafe { syscall_readonly(OperationNumber::SYS_OPEN, ParamRegR::block(&block)) };
    let fd = fd.usize();
    (fd != usize::MAX).then_some(fd)
}

/// SYS_WRITE; returns the number of bytes *not* written.
fn write(fd: usize, data: &[u8]) -> usize {
    let block = [ParamRegR::usize(fd), ParamRegR::buf(data), ParamRegR::usize(data.len())];
    // SAFETY: SYS_WRITE reads the parameter block and `data` only.
    unsafe { syscall_readonly(OperationNumber::SYS_WRITE, ParamRegR::block(&block)) }.usize()
}

struct Global(UnsafeCell<State>);

// SAFETY: the images are single-threaded and log from one context at a time.
unsafe impl Sync for Global {}

static STATE: Global = Global(UnsafeCell::new(State {
    encoder: defmt::Encoder::new(),
    out: Out { stdout: None, opened: false, buf: [0; BUF_LEN], len: 0 },
}));

fn state() -> &'static mut State {
    // SAFETY: see `Global`: no two references are alive at once (one context, and each
    // logger call below takes the state for its own duration only).
    unsafe { &mut *STATE.0.get() }
}

#[defmt::global_logger]
struct Logger;

// SAFETY: acquire/release bracket every frame; one execution context only (see module doc).
unsafe impl defmt::Logger for Logger {
    fn acquire() {
        let State { encoder, out } = state();
        encoder.start_frame(|b| out.push(b));
    }

    unsafe fn flush() {
        state().out.flush();
    }

    unsafe fn release() {
        let State { encoder, out } = state();
        encoder.end_frame(|b| out.push(b));
        out.flush();
    }

    unsafe fn write(bytes: &[u8]) {
        let State { encoder, out } = state();
        encoder.write(bytes, |b| out.push(b));
    }
}

/// Writes out whatever is buffered (before exiting).
pub fn flush() {
    state().out.flush();
}
