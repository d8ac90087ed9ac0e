//! The learned-score application image: what a product deploying a learned score would ship
//! (the int8-weight `q8` network's score, inputs and outputs in `I16F16`, and samples
//! generated on the device with it), measured by `cargo xtask measure` as the `app` image
//! row and compared bit for bit with the host by `cargo xtask qemu`.
#![no_std]
#![no_main]

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    tinyscore_firmware::run_app(tinyscore_programme::run_app)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    tinyscore_firmware::report_panic(info)
}
