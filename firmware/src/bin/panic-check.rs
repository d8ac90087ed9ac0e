//! Panic-freedom check (`cargo xtask panic-check`): the same image as `main.rs`, but its
//! panic handler calls a function that is defined nowhere. If any panic path survives
//! optimisation, the handler is referenced and linking fails with an undefined symbol
//! `tinyscore_panic_path_survived_optimisation`.
#![no_std]
#![no_main]

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    tinyscore_firmware::run()
}

extern "C" {
    fn tinyscore_panic_path_survived_optimisation() -> !;
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // SAFETY: never executed: the symbol does not exist, so this only links when the
    // optimiser removed every call to the panic handler.
    unsafe { tinyscore_panic_path_survived_optimisation() }
}
