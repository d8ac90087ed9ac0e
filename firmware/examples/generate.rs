//! tinyscore as an application uses it: a mixture, its score, five samples (QEMU mps2-an386,
//! Cortex-M4F). Run: `cargo xtask example`. Board support (defmt over semihosting, exit)
//! comes from this crate's library; everything else is the public API of `tinyscore`.
#![no_std]
#![no_main]

use rand_core::SeedableRng;
use tinyscore::mixture::{Component, GaussianMixture};
use tinyscore::sampler::{Method, Sampler, SamplerConfig};
use tinyscore::score_source::MixtureScore;
use tinyscore::start::StartGaussian;
use tinyscore::time_grid::{Spacing, TimeGrid};
use tinyscore_firmware::exit;

/// Checked when the firmware is built: an invalid mixture does not compile.
const MIXTURE: GaussianMixture<1, 2> = match GaussianMixture::new(
    1.0,
    &[Component { weight: 0.3, mean: [-2.0], std: [0.5] }, Component { weight: 0.7, mean: [1.5], std: [0.4] }],
) {
    Ok(gm) => gm,
    Err(_) => panic!("invalid mixture"),
};

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    let gm = MIXTURE;
    match gm.prepare::<f32>(0.5) {
        Ok(p) => defmt::println!("score at x = 0, t = 0.5: {}", p.score(&[0.0])),
        Err(e) => defmt::panic!("prepare: {}", e),
    }
    let config = match TimeGrid::new(9.0, 1e-3, 50, Spacing::Geometric { t_offset: 0.16 }) {
        Ok(grid) => SamplerConfig { method: Method::ProbabilityFlow, grid, sigma: gm.sigma() },
        Err(e) => defmt::panic!("grid: {}", e),
    };
    let (sampler, start) = match (Sampler::new(config), StartGaussian::from_mixture(&gm, 9.0)) {
        (Ok(s), Ok(g)) => (s, g),
        _ => defmt::panic!("sampler or start Gaussian rejected"),
    };
    let mut rng = tinyscore::DefaultRng::seed_from_u64(1);
    let mut samples = [[0.0f32; 1]; 5];
    let status = sampler.generate(&mut MixtureScore::new(&gm), &start, &mut rng, &mut samples);
    defmt::println!("samples: {} ({})", samples, status);
    exit(if status.is_ok() { 0 } else { 1 })
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    tinyscore_firmware::report_panic(info)
}
