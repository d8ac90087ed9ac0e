/// Whether a result is exact up to the documented rounding error, or had to be saturated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Status {
    /// Every value is within the documented error bound.
    #[default]
    Ok,
    /// At least one value left the representable range of the scalar type and was
    /// clamped to the nearest representable value (for floats: would have been infinite).
    Saturated,
}

impl Status {
    /// `true` for [`Status::Ok`].
    pub const fn is_ok(self) -> bool {
        matches!(self, Status::Ok)
    }

    /// Combine two statuses: saturated if either is.
    #[must_use]
    pub const fn and(self, other: Status) -> Status {
        match (self, other) {
            (Status::Ok, Status::Ok) => Status::Ok,
            _ => Status::Saturated,
        }
    }

    /// `Saturated` if `flag` is set, `Ok` otherwise.
    pub const fn from_saturated(flag: bool) -> Status {
        if flag {
            Status::Saturated
        } else {
            Status::Ok
        }
    }

    /// The lower-case name used in CSV output: `ok` or `saturated`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Saturated => "saturated",
        }
    }
}
