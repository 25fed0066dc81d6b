//! How finely one round traces: the tracer's knobs under a name, the presets, and the parser of
//! `--rounds coarse,medium,fine:speckle=2,color=8` and `--detail-box X,Y,W,H`.
//!
//! The knobs keep the names and units of vtracer's (clipvg traced through vtracer before
//! `tracer.rs` drove visioncortex directly): `filter_speckle` is the side in pixels of the
//! smallest patch kept (its area is the square), `color_precision` the significant bits per
//! channel (1–8), `layer_difference` the colour step between gradient layers (0–255),
//! `corner_threshold` and `splice_threshold` are degrees, `length_threshold` pixels.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The tracer settings of one round.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Precision {
    /// The preset it started from (`coarse`, `medium`, `fine`), for labels.
    pub name: String,
    /// Patches smaller than `filter_speckle²` pixels are merged into their neighbours.
    pub filter_speckle: usize,
    /// Significant bits per colour channel, 1–8.
    pub color_precision: i32,
    /// Colour difference between stacked gradient layers, 0–255.
    pub layer_difference: i32,
    /// Degrees: a sharper turn is kept as a corner.
    pub corner_threshold: i32,
    /// Pixels: shortest segment length of the spline fit, 3.5–10.
    pub length_threshold: f64,
    /// Degrees: a turn above it splits a spline.
    pub splice_threshold: i32,
    /// The `hierarchical` knob: `Some(true)` stacked (a shape also covers the area of the
    /// shapes on it, so the round alone has no cracks), `Some(false)` cut out (shapes abut, no
    /// hidden overlap), `None` the default, stacked (the upper rounds are then thinned to the
    /// shapes that improve on the rounds below: [`super::select`]).
    pub stacked: Option<bool>,
}

/// The preset names, coarse to fine.
pub const PRESETS: [&str; 3] = ["coarse", "medium", "fine"];

/// The rounds of `--rounds` when none is given: the paper's two, a coarse one under a fine one
/// (measured against coarse, medium, fine with the same thinning: 0.1 dB closer on the astronaut
/// after refinement with 17 % fewer paths).
pub const DEFAULT_ROUNDS: &str = "coarse,fine";

impl Precision {
    /// A preset by name. Each round keeps smaller patches (`filter_speckle`) than the one below
    /// it, as the paper's rounds add colours (Nc = 10, then 30). Colour precision stays at 6–8
    /// bits: below that the colour clusters take visibly wrong colours (the coarse round at 3
    /// bits scored 10 dB on the astronaut against 21 dB at 6 bits), and the round below shows
    /// through every crack. The fine round keeps 8 bits and layer difference 8 (was 7 and 16):
    /// measured at 512 px on the three photos with the former three cut-out rounds, the stack
    /// traced 0.2–1.7 dB closer.
    pub fn preset(name: &str) -> Option<Precision> {
        let (filter_speckle, color_precision, layer_difference) = match name {
            "coarse" => (24, 6, 16),
            "medium" => (10, 6, 16),
            "fine" => (4, 8, 8),
            _ => return None,
        };
        Some(Precision {
            name: name.to_string(),
            filter_speckle,
            color_precision,
            layer_difference,
            corner_threshold: 60,
            length_threshold: 4.0,
            splice_threshold: 45,
            stacked: None,
        })
    }

    /// Parses `NAME` or `NAME:key=value,key=value` (keys: speckle, color, layer, corner,
    /// length, splice).
    pub fn parse(spec: &str) -> Result<Precision> {
        let (name, knobs) = match spec.split_once(':') {
            Some((n, k)) => (n.trim(), Some(k)),
            None => (spec.trim(), None),
        };
        let mut p = Precision::preset(name).ok_or_else(|| {
            Error::InvalidInput(format!(
                "unknown round \"{name}\": use coarse, medium or fine, optionally with knobs (fine:speckle=2,color=8,layer=8)"
            ))
        })?;
        for knob in knobs.into_iter().flat_map(|k| k.split(',')).map(str::trim).filter(|k| !k.is_empty()) {
            p.set(knob)?;
        }
        Ok(p)
    }

    /// Sets one `key=value` knob, checking its range.
    pub fn set(&mut self, knob: &str) -> Result<()> {
        let bad = |why: &str| Error::InvalidInput(format!("round knob \"{knob}\": {why}"));
        let (key, value) = knob.split_once('=').ok_or_else(|| bad("expected key=value"))?;
        let value = value.trim();
        let int = |lo: i64, hi: i64| -> Result<i64> {
            value
                .parse::<i64>()
                .ok()
                .filter(|v| (lo..=hi).contains(v))
                .ok_or_else(|| bad(&format!("expected a whole number from {lo} to {hi}")))
        };
        match key.trim() {
            "speckle" => self.filter_speckle = int(0, 128)? as usize,
            "color" => self.color_precision = int(1, 8)? as i32,
            "layer" => self.layer_difference = int(0, 255)? as i32,
            "corner" => self.corner_threshold = int(0, 180)? as i32,
            "splice" => self.splice_threshold = int(0, 180)? as i32,
            "hierarchical" => {
                self.stacked = match value {
                    "stacked" => Some(true),
                    "cutout" => Some(false),
                    _ => return Err(bad("expected stacked or cutout")),
                }
            }
            "length" => {
                self.length_threshold = value
                    .parse::<f64>()
                    .ok()
                    .filter(|v| (3.5..=10.0).contains(v))
                    .ok_or_else(|| bad("expected a number from 3.5 to 10"))?
            }
            other => {
                return Err(bad(&format!(
                    "unknown key \"{other}\" (use speckle, color, layer, corner, length, splice or hierarchical)"
                )));
            }
        }
        Ok(())
    }

    /// The knobs as text, `speckle=16,color=3,layer=64`, the form [`Precision::parse`] reads
    /// after `NAME:` (corner, length and splice only where they differ from the preset).
    pub fn knobs(&self) -> String {
        let mut s =
            format!("speckle={},color={},layer={}", self.filter_speckle, self.color_precision, self.layer_difference);
        if self.corner_threshold != 60 {
            s.push_str(&format!(",corner={}", self.corner_threshold));
        }
        if self.length_threshold != 4.0 {
            s.push_str(&format!(",length={}", self.length_threshold));
        }
        if self.splice_threshold != 45 {
            s.push_str(&format!(",splice={}", self.splice_threshold));
        }
        match self.stacked {
            Some(true) => s.push_str(",hierarchical=stacked"),
            Some(false) => s.push_str(",hierarchical=cutout"),
            None => {}
        }
        s
    }

    /// This precision as traced in a stack: `stacked` resolved (stacked unless the knob says cut
    /// out, whatever the round's position).
    pub fn resolved(&self) -> Precision {
        Precision { stacked: Some(self.stacked.unwrap_or(true)), ..self.clone() }
    }
}

/// Parses a round list: comma-separated rounds, where a `key=value` item belongs to the round
/// before it (`coarse,medium,fine:speckle=2,color=8` is three rounds, the last with two knobs).
pub fn parse_rounds(spec: &str) -> Result<Vec<Precision>> {
    let mut rounds: Vec<Precision> = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match (item.contains(':'), item.contains('='), rounds.last_mut()) {
            (false, true, Some(last)) => last.set(item)?,
            (false, true, None) => {
                return Err(Error::InvalidInput(format!(
                    "--rounds \"{spec}\": the knob \"{item}\" comes before any round name"
                )));
            }
            _ => rounds.push(Precision::parse(item)?),
        }
    }
    if rounds.is_empty() {
        return Err(Error::InvalidInput(format!("--rounds \"{spec}\" names no round (use e.g. {DEFAULT_ROUNDS})")));
    }
    Ok(rounds)
}

/// An extra round traced on one box of the image only (the paper's face round).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetailRound {
    /// `[x, y, w, h]` in pixels of the input image.
    pub rect: [f64; 4],
    pub precision: Precision,
}

/// Parses `X,Y,W,H` (pixels of the input image).
pub fn parse_box(spec: &str) -> Result<[f64; 4]> {
    let bad =
        || Error::InvalidInput(format!("--detail-box \"{spec}\": expected X,Y,W,H, four numbers with W and H above 0"));
    let v: Vec<f64> =
        spec.split(',').map(|s| s.trim().parse::<f64>()).collect::<std::result::Result<_, _>>().map_err(|_| bad())?;
    match v[..] {
        [x, y, w, h] if v.iter().all(|c| c.is_finite()) && w > 0.0 && h > 0.0 => Ok([x, y, w, h]),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_with_and_without_knobs() {
        let r = parse_rounds("coarse,medium,fine:speckle=2,color=8,layer=8").unwrap();
        assert_eq!(r.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["coarse", "medium", "fine"]);
        assert_eq!((r[2].filter_speckle, r[2].color_precision, r[2].layer_difference), (2, 8, 8));
        assert_eq!(r[1], Precision::preset("medium").unwrap());
        let p = Precision::parse("coarse:corner=90,length=5.5,splice=30,hierarchical=cutout").unwrap();
        assert_eq!(p.stacked, Some(false));
        assert_eq!(Precision::parse("fine").unwrap().resolved().stacked, Some(true));
        assert_eq!(p.resolved().stacked, Some(false));
        assert_eq!(Precision::parse(&format!("coarse:{}", p.knobs())).unwrap(), p);
    }

    #[test]
    fn bad_rounds_name_the_value() {
        let e = parse_rounds("coarse,ultra").unwrap_err().to_string();
        assert!(e.contains("\"ultra\""), "{e}");
        assert!(parse_rounds("speckle=2").is_err());
        assert!(parse_rounds("").is_err());
        let e = parse_rounds("fine:color=9").unwrap_err().to_string();
        assert!(e.contains("color=9"), "{e}");
        assert!(parse_rounds("fine:bogus=1").is_err());
        assert!(parse_rounds("fine:length=2").is_err());
    }

    #[test]
    fn boxes() {
        assert_eq!(parse_box("1, 2,3.5,4").unwrap(), [1.0, 2.0, 3.5, 4.0]);
        assert!(parse_box("1,2,3").is_err());
        assert!(parse_box("1,2,0,4").is_err());
        assert!(parse_box("a,b,c,d").is_err());
    }
}
