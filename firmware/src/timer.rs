//! Instruction counter. Run QEMU with `-icount shift=0`: every instruction then advances
//! virtual time by exactly 1 ns, and a timer on virtual time counts instructions.
//!
//! * Cortex-M: SysTick clocked from the core, read as a 24-bit down-counter. Its rate in
//!   instructions is not assumed: the host scales with the calibration loop.
//! * RISC-V: `mcycle`, which QEMU derives from the instruction count under `-icount`.

#[cfg(target_arch = "arm")]
mod imp {
    use core::ptr::{read_volatile, write_volatile};

    const SYST_CSR: *mut u32 = 0xE000_E010 as *mut u32;
    const SYST_RVR: *mut u32 = 0xE000_E014 as *mut u32;
    const SYST_CVR: *mut u32 = 0xE000_E018 as *mut u32;
    const MASK: u32 = 0x00FF_FFFF;

    pub fn init() {
        // SAFETY: SysTick registers exist on every Cortex-M QEMU models (ARMv6-M too).
        unsafe {
            write_volatile(SYST_CSR, 0);
            write_volatile(SYST_RVR, MASK);
            write_volatile(SYST_CVR, 0);
            // ENABLE | CLKSOURCE = processor clock, no interrupt.
            write_volatile(SYST_CSR, 0b101);
        }
    }

    #[inline(always)]
    pub fn now() -> u32 {
        // SAFETY: see `init`.
        unsafe { read_volatile(SYST_CVR) }
    }

    /// Ticks from `start` to `end` (the counter counts down, modulo 2^24).
    pub fn elapsed(start: u32, end: u32) -> u32 {
        start.wrapping_sub(end) & MASK
    }

    /// Executes exactly `2 * n` instructions (n >= 1).
    #[inline(always)]
    pub fn known_loop(n: u32) {
        // SAFETY: register-only loop.
        unsafe {
            core::arch::asm!(
                "2:",
                "subs r0, #1",
                "bne 2b",
                inout("r0") n => _,
                options(nomem, nostack)
            );
        }
    }
}

#[cfg(target_arch = "riscv32")]
mod imp {
    pub fn init() {}

    #[inline(always)]
    pub fn now() -> u32 {
        let c: u32;
        // SAFETY: reading mcycle in machine mode has no side effect.
        unsafe { core::arch::asm!("csrr {}, mcycle", out(reg) c, options(nomem, nostack)) };
        c
    }

    pub fn elapsed(start: u32, end: u32) -> u32 {
        end.wrapping_sub(start)
    }

    /// Executes exactly `2 * n` instructions (n >= 1).
    #[inline(always)]
    pub fn known_loop(n: u32) {
        // SAFETY: register-only loop.
        unsafe {
            core::arch::asm!(
                "2:",
                "addi {n}, {n}, -1",
                "bnez {n}, 2b",
                n = inout(reg) n => _,
                options(nomem, nostack)
            );
        }
    }
}

pub use imp::{elapsed, init, known_loop, now};
