//! The Lambert azimuthal equal-area projection for Europe, EPSG:3035
//! (ETRS89-extended / LAEA Europe): GRS80 ellipsoid, centre 52°N 10°E, false
//! easting 4 321 000 m, false northing 3 210 000 m. Ellipsoidal formulas of
//! Snyder (1987), *Map Projections — A Working Manual*, USGS Professional
//! Paper 1395, pp. 187–190; the inverse latitude by Snyder's iteration (3-16).

/// GRS80 semi-major axis, metres.
const A: f64 = 6_378_137.0;
/// GRS80 flattening.
const F: f64 = 1.0 / 298.257_222_101;
const LAT0: f64 = 52.0;
const LON0: f64 = 10.0;
const FALSE_EASTING: f64 = 4_321_000.0;
const FALSE_NORTHING: f64 = 3_210_000.0;

/// The constants of the projection, computed once.
struct Laea {
    e: f64,
    e2: f64,
    qp: f64,
    rq: f64,
    d: f64,
    sin_b1: f64,
    cos_b1: f64,
}

impl Laea {
    fn new() -> Laea {
        let e2 = 2.0 * F - F * F;
        let e = e2.sqrt();
        let phi1 = LAT0.to_radians();
        let qp = q(std::f64::consts::FRAC_PI_2, e, e2);
        let rq = A * (qp / 2.0).sqrt();
        let b1 = (q(phi1, e, e2) / qp).asin();
        let m1 = phi1.cos() / (1.0 - e2 * phi1.sin().powi(2)).sqrt();
        let d = A * m1 / (rq * b1.cos());
        Laea { e, e2, qp, rq, d, sin_b1: b1.sin(), cos_b1: b1.cos() }
    }
}

/// Snyder's `q` (3-12).
fn q(phi: f64, e: f64, e2: f64) -> f64 {
    let s = phi.sin();
    (1.0 - e2) * (s / (1.0 - e2 * s * s) - 1.0 / (2.0 * e) * ((1.0 - e * s) / (1.0 + e * s)).ln())
}

fn laea() -> &'static Laea {
    static LAEA: std::sync::OnceLock<Laea> = std::sync::OnceLock::new();
    LAEA.get_or_init(Laea::new)
}

/// Longitude and latitude (degrees, ETRS89 ≈ WGS 84) to EPSG:3035 easting
/// and northing (metres).
pub fn forward(lon: f64, lat: f64) -> (f64, f64) {
    let p = laea();
    let beta = (q(lat.to_radians(), p.e, p.e2) / p.qp).clamp(-1.0, 1.0).asin();
    let dl = (lon - LON0).to_radians();
    let b = p.rq * (2.0 / (1.0 + p.sin_b1 * beta.sin() + p.cos_b1 * beta.cos() * dl.cos())).sqrt();
    let x = b * p.d * beta.cos() * dl.sin();
    let y = b / p.d * (p.cos_b1 * beta.sin() - p.sin_b1 * beta.cos() * dl.cos());
    (FALSE_EASTING + x, FALSE_NORTHING + y)
}

/// EPSG:3035 easting and northing (metres) to longitude and latitude (degrees).
pub fn inverse(easting: f64, northing: f64) -> (f64, f64) {
    let p = laea();
    let (x, y) = (easting - FALSE_EASTING, northing - FALSE_NORTHING);
    let rho = ((x / p.d).powi(2) + (p.d * y).powi(2)).sqrt();
    if rho < 1e-9 {
        return (LON0, LAT0);
    }
    let ce = 2.0 * (rho / (2.0 * p.rq)).clamp(-1.0, 1.0).asin();
    let beta = (ce.cos() * p.sin_b1 + p.d * y * ce.sin() * p.cos_b1 / rho).clamp(-1.0, 1.0).asin();
    let lon =
        LON0.to_radians() + (x * ce.sin()).atan2(p.d * rho * p.cos_b1 * ce.cos() - p.d * p.d * y * p.sin_b1 * ce.sin());
    let qq = p.qp * beta.sin();
    let mut phi = (qq / 2.0).clamp(-1.0, 1.0).asin();
    for _ in 0..20 {
        let s = phi.sin();
        let w = 1.0 - p.e2 * s * s;
        let step = w * w / (2.0 * phi.cos())
            * (qq / (1.0 - p.e2) - s / w + 1.0 / (2.0 * p.e) * ((1.0 - p.e * s) / (1.0 + p.e * s)).ln());
        phi += step;
        if step.abs() < 1e-15 {
            break;
        }
    }
    (lon.to_degrees(), phi.to_degrees())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IOGP Guidance Note 7-2 (EPSG), example for EPSG:3035: 50°N 5°E.
    #[test]
    fn matches_the_epsg_guidance_note_example() {
        let (e, n) = forward(5.0, 50.0);
        assert!((e - 3_962_799.45).abs() < 0.005 && (n - 2_999_718.85).abs() < 0.005, "{e} {n}");
    }

    #[test]
    fn the_centre_maps_to_the_false_origin() {
        let (e, n) = forward(10.0, 52.0);
        assert!((e - FALSE_EASTING).abs() < 1e-6 && (n - FALSE_NORTHING).abs() < 1e-6);
        assert_eq!(inverse(FALSE_EASTING, FALSE_NORTHING), (10.0, 52.0));
    }

    #[test]
    fn inverse_undoes_forward_across_europe() {
        for (lon, lat) in [(-25.0, 37.0), (11.58, 48.14), (30.0, 70.0), (-9.1, 38.7), (34.0, 35.0)] {
            let (e, n) = forward(lon, lat);
            let (lon2, lat2) = inverse(e, n);
            assert!((lon - lon2).abs() < 1e-10 && (lat - lat2).abs() < 1e-10, "{lon},{lat} -> {lon2},{lat2}");
        }
    }
}
