//! Stack high-water mark: the free stack below the current stack pointer is painted with
//! a pattern at start-up; at the end, the lowest overwritten word gives the deepest use.

use core::ptr::{addr_of, read_volatile, write_volatile};

const PATTERN: u32 = 0x5AC3_5AC3;
/// At most this much is painted (below the initial stack pointer): the boards with
/// megabytes of RAM need not be painted whole.
const MAX_WINDOW: usize = 32 * 1024;
/// Bytes just below the stack pointer of `paint` that are left alone.
const MARGIN: usize = 64;

extern "C" {
    /// Top of the stack (initial stack pointer), from cortex-m-rt / riscv-rt.
    static _stack_start: u32;
}
#[cfg(target_arch = "arm")]
extern "C" {
    /// Lowest address the stack may grow to (end of the statics), cortex-m-rt.
    #[link_name = "_stack_end"]
    static STACK_BOTTOM: u32;
}
#[cfg(target_arch = "riscv32")]
extern "C" {
    /// Lowest address the stack may grow to (end of the heap), riscv-rt.
    #[link_name = "__estack"]
    static STACK_BOTTOM: u32;
}

fn top() -> usize {
    addr_of!(_stack_start) as usize
}

fn bottom() -> usize {
    let statics_end = addr_of!(STACK_BOTTOM) as usize;
    let window_end = top().saturating_sub(MAX_WINDOW);
    (statics_end.max(window_end) + 3) & !3
}

#[inline(always)]
fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: reads the stack pointer register only.
    unsafe {
        #[cfg(target_arch = "arm")]
        core::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags));
        #[cfg(target_arch = "riscv32")]
        core::arch::asm!("mv {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags));
    }
    sp
}

/// Paints the free stack; returns the size of the painted window in bytes.
#[inline(never)]
pub fn paint() -> u32 {
    let start = bottom();
    let end = stack_pointer().saturating_sub(MARGIN) & !3;
    let mut p = start;
    while p < end {
        // SAFETY: [start, end) is RAM between the statics and the live stack: unused.
        unsafe { write_volatile(p as *mut u32, PATTERN) };
        p += 4;
    }
    (top() - start) as u32
}

/// Deepest stack use so far, in bytes below the top of the stack. Equal to the painted
/// window when the whole window was overwritten (then the real use may be larger).
pub fn used() -> u32 {
    let end = top();
    let mut p = bottom();
    // SAFETY: reads RAM in the painted window only.
    while p < end && unsafe { read_volatile(p as *const u32) } == PATTERN {
        p += 4;
    }
    (end - p) as u32
}
