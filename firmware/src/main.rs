//! The image run by `cargo xtask qemu` and `cargo xtask measure`.
#![no_std]
#![no_main]

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    tinyscore_firmware::run()
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    tinyscore_firmware::report_panic(info)
}
