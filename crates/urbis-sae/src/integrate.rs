//! Adaptive Gauss–Kronrod (7–15) quadrature of smooth functions on a finite interval.

const XK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
const WK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_2,
    0.140_653_259_715_525_9,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_728,
];
const WG: [f64; 4] =
    [0.129_484_966_168_869_7, 0.279_705_391_489_276_7, 0.381_830_050_505_118_9, 0.417_959_183_673_469_4];

/// The Kronrod estimate on [a, b] and its difference from the Gauss estimate.
fn gk15(f: &impl Fn(f64) -> f64, a: f64, b: f64) -> (f64, f64) {
    let c = 0.5 * (a + b);
    let h = 0.5 * (b - a);
    let fc = f(c);
    let mut k = WK[7] * fc;
    let mut g = WG[3] * fc;
    for j in 0..7 {
        let s = f(c - h * XK[j]) + f(c + h * XK[j]);
        k += WK[j] * s;
        if j % 2 == 1 {
            g += WG[j / 2] * s;
        }
    }
    (k * h, ((k - g) * h).abs())
}

/// ∫ f over [breaks[0], breaks[last]] to about `tol` absolute error,
/// starting from the intervals between the (increasing) break points and
/// bisecting the worst interval (at most 400 intervals). Break points where
/// f changes fast keep a narrow peak from being missed.
pub(crate) fn integrate(f: impl Fn(f64) -> f64, breaks: &[f64], tol: f64) -> f64 {
    let mut parts: Vec<(f64, f64, (f64, f64))> =
        breaks.windows(2).filter(|w| w[1] > w[0]).map(|w| (w[0], w[1], gk15(&f, w[0], w[1]))).collect();
    if parts.is_empty() {
        return 0.0;
    }
    loop {
        let err: f64 = parts.iter().map(|p| p.2 .1).sum();
        if err <= tol || parts.len() >= 400 {
            return parts.iter().map(|p| p.2 .0).sum();
        }
        let worst = (0..parts.len()).max_by(|&i, &j| parts[i].2 .1.total_cmp(&parts[j].2 .1)).unwrap_or(0);
        let (lo, hi, _) = parts.swap_remove(worst);
        let mid = 0.5 * (lo + hi);
        parts.push((lo, mid, gk15(&f, lo, mid)));
        parts.push((mid, hi, gk15(&f, mid, hi)));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn integrates_a_peaked_normal_density() {
        let (mu, sd) = (0.7, 0.003);
        let phi = |x: f64| (-0.5 * ((x - mu) / sd).powi(2)).exp() / (sd * (2.0 * std::f64::consts::PI).sqrt());
        let breaks: Vec<f64> = [-40.0, -5.0, -2.0, 0.0, 2.0, 5.0, 40.0].iter().map(|z| mu + sd * z).collect();
        let v = super::integrate(phi, &breaks, 1e-13);
        assert!((v - 1.0).abs() < 1e-12, "{v}");
        let s = super::integrate(|x: f64| x.sin(), &[0.0, std::f64::consts::PI], 1e-14);
        assert!((s - 2.0).abs() < 1e-14);
    }
}
