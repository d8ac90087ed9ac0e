//! The application image: what a product using tinyscore would ship (mixture score and
//! log-density in `I16F16`; the learned score by the int8-weight `q8` network, inputs and
//! outputs in `I16F16`), measured by `cargo xtask measure` as the `app` image row.
#![no_std]
#![no_main]

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    tinyscore_firmware::run_app()
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    tinyscore_firmware::report_panic(info)
}
