//! Colour-blind-safe palettes: a viridis-like sequential scale (light yellow
//! for low values to dark purple for high ones; van der Walt & Smith's
//! viridis, perceptually uniform and readable with colour-vision
//! deficiencies) and ColorBrewer's diverging RdBu (Brewer, colorbrewer2.org,
//! marked colour-blind safe), light in the middle.

/// Which palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Palette {
    Sequential,
    Diverging,
}

/// viridis at 10 evenly spaced points, from high (dark) to low (light).
const VIRIDIS: [u32; 10] =
    [0x440154, 0x482878, 0x3e4989, 0x31688e, 0x26828e, 0x1f9e89, 0x35b779, 0x6ece58, 0xb5de2b, 0xfde725];

/// ColorBrewer RdBu, 11 classes, from red (low) to blue (high).
const RDBU: [u32; 11] =
    [0x67001f, 0xb2182b, 0xd6604d, 0xf4a582, 0xfddbc7, 0xf7f7f7, 0xd1e5f0, 0x92c5de, 0x4393c3, 0x2166ac, 0x053061];

/// `k` colours (`#rrggbb`) from low to high values.
pub fn colours(palette: Palette, k: usize) -> Vec<String> {
    let (anchors, reversed): (&[u32], bool) = match palette {
        Palette::Sequential => (&VIRIDIS, true),
        Palette::Diverging => (&RDBU, false),
    };
    (0..k)
        .map(|i| {
            let t = if k == 1 { 0.5 } else { i as f64 / (k - 1) as f64 };
            let t = if reversed { 1.0 - t } else { t };
            // Diverging scales leave the darkest ends out so labels stay readable.
            let t = if palette == Palette::Diverging { 0.1 + 0.8 * t } else { t };
            interpolate(anchors, t)
        })
        .collect()
}

fn interpolate(anchors: &[u32], t: f64) -> String {
    let x = t.clamp(0.0, 1.0) * (anchors.len() - 1) as f64;
    let i = (x.floor() as usize).min(anchors.len() - 2);
    let f = x - i as f64;
    let channel = |c: u32, shift: u32| f64::from((c >> shift) & 0xff);
    let mix = |shift| (channel(anchors[i], shift) * (1.0 - f) + channel(anchors[i + 1], shift) * f).round() as u32;
    format!("#{:02x}{:02x}{:02x}", mix(16), mix(8), mix(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_and_middle_are_the_anchor_colours() {
        let seq = colours(Palette::Sequential, 10);
        assert_eq!(seq[0], "#fde725");
        assert_eq!(seq[9], "#440154");
        let div = colours(Palette::Diverging, 5);
        assert_eq!(div[2], "#f7f7f7");
        assert_eq!(div.len(), 5);
    }
}
