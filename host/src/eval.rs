//! The scalar type chosen at run time, and dispatch to generic code.

use clap::ValueEnum;

/// The scalar types of the core, as named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ValueEnum)]
pub enum ScalarKind {
    /// IEEE double precision.
    F64,
    /// IEEE single precision.
    F32,
    /// Fixed point, 16 integer and 16 fraction bits.
    I16f16,
    /// Fixed point, 8 integer and 24 fraction bits.
    I8f24,
}

impl ScalarKind {
    /// Every kind, in report order.
    pub const ALL: [ScalarKind; 4] = [ScalarKind::F64, ScalarKind::F32, ScalarKind::I16f16, ScalarKind::I8f24];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            ScalarKind::F64 => "f64",
            ScalarKind::F32 => "f32",
            ScalarKind::I16f16 => "i16f16",
            ScalarKind::I8f24 => "i8f24",
        }
    }
}

impl std::fmt::Display for ScalarKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The scalar a model is evaluated in, as named on the command line: one of the storage
/// types ([`ScalarKind`]), or `q8`, the int8-weight network (models only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ValueEnum)]
pub enum ModelScalar {
    /// IEEE double precision.
    F64,
    /// IEEE single precision.
    F32,
    /// Fixed point, 16 integer and 16 fraction bits.
    I16f16,
    /// Fixed point, 8 integer and 24 fraction bits.
    I8f24,
    /// The int8-weight network (`tinyscore quantize`): i8 weights, i16 activations.
    Q8,
}

impl ModelScalar {
    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self.float() {
            Some(kind) => kind.name(),
            None => "q8",
        }
    }

    /// The storage type, `None` for `q8`.
    pub fn float(self) -> Option<ScalarKind> {
        match self {
            ModelScalar::F64 => Some(ScalarKind::F64),
            ModelScalar::F32 => Some(ScalarKind::F32),
            ModelScalar::I16f16 => Some(ScalarKind::I16f16),
            ModelScalar::I8f24 => Some(ScalarKind::I8f24),
            ModelScalar::Q8 => None,
        }
    }

    /// The storage type for evaluating a mixture; `q8` is refused (it is a model's network).
    ///
    /// # Errors
    /// `q8`, with a message naming what to give instead.
    pub fn for_mixture(self) -> anyhow::Result<ScalarKind> {
        self.float().ok_or_else(|| {
            anyhow::anyhow!(
                "--scalar q8 is the int8 network of a learned model: give --model (a mixture alone is evaluated in f64, f32, i16f16 or i8f24)"
            )
        })
    }
}

impl From<ScalarKind> for ModelScalar {
    fn from(kind: ScalarKind) -> Self {
        match kind {
            ScalarKind::F64 => ModelScalar::F64,
            ScalarKind::F32 => ModelScalar::F32,
            ScalarKind::I16f16 => ModelScalar::I16f16,
            ScalarKind::I8f24 => ModelScalar::I8f24,
        }
    }
}

impl std::fmt::Display for ModelScalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Run `$body` with the type alias `$S` set to the scalar type named by a [`ScalarKind`].
#[macro_export]
macro_rules! with_scalar {
    ($kind:expr, $S:ident => $body:expr) => {
        match $kind {
            $crate::eval::ScalarKind::F64 => {
                type $S = f64;
                $body
            }
            $crate::eval::ScalarKind::F32 => {
                type $S = f32;
                $body
            }
            $crate::eval::ScalarKind::I16f16 => {
                type $S = fixed::types::I16F16;
                $body
            }
            $crate::eval::ScalarKind::I8f24 => {
                type $S = fixed::types::I8F24;
                $body
            }
        }
    };
}
