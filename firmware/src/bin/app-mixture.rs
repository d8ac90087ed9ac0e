//! The mixture application image: what a product deploying a Gaussian mixture's score would
//! ship (the score and log-density in `I16F16`), measured by `cargo xtask measure` as the
//! `app-mixture` image row and compared bit for bit with the host by `cargo xtask qemu`.
#![no_std]
#![no_main]

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    tinyscore_firmware::run_app(tinyscore_programme::run_app_mixture)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    tinyscore_firmware::report_panic(info)
}
