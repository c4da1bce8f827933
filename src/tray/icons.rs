//! The tray icons, drawn in `icons/` and built into the binary: idle (no session active),
//! active, attention (something needs the user). The 32 px renders are used; panels scale
//! them to their own size.

use tray_icon::Icon;

use super::menu::IconState;

const IDLE: &[u8] = include_bytes!("../../icons/credtray-idle-32.png");
const ACTIVE: &[u8] = include_bytes!("../../icons/credtray-active-32.png");
const ATTENTION: &[u8] = include_bytes!("../../icons/credtray-attention-32.png");

/// The decoded icons.
pub struct Icons {
    idle: Option<Icon>,
    active: Option<Icon>,
    attention: Option<Icon>,
}

/// Decodes a PNG into RGBA pixels.
pub fn decode(png_bytes: &[u8]) -> Result<(Vec<u8>, u32, u32), String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| "the image is too large".to_string())?;
    let mut buf = vec![0; size];
    let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    buf.truncate(info.buffer_size());
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::GrayscaleAlpha => buf
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        other => return Err(format!("unexpected colour type {other:?}")),
    };
    Ok((rgba, info.width, info.height))
}

fn icon(bytes: &[u8], name: &str) -> Option<Icon> {
    match decode(bytes)
        .and_then(|(rgba, w, h)| Icon::from_rgba(rgba, w, h).map_err(|e| e.to_string()))
    {
        Ok(i) => Some(i),
        Err(e) => {
            tracing::error!("the built-in {name} icon is damaged: {e}");
            None
        }
    }
}

/// The built-in icon for `state` as RGBA pixels, its width and its height (a grey
/// 16×16 square should it be damaged).
pub fn rgba(state: IconState) -> (Vec<u8>, u32, u32) {
    let bytes = match state {
        IconState::Idle => IDLE,
        IconState::Active => ACTIVE,
        IconState::Attention => ATTENTION,
    };
    decode(bytes).unwrap_or_else(|e| {
        tracing::error!("a built-in icon is damaged: {e}");
        (vec![128; 16 * 16 * 4], 16, 16)
    })
}

impl Icons {
    /// Decodes the built-in icons.
    pub fn load() -> Icons {
        Icons {
            idle: icon(IDLE, "idle"),
            active: icon(ACTIVE, "active"),
            attention: icon(ATTENTION, "attention"),
        }
    }

    /// The icon for a state.
    pub fn get(&self, state: IconState) -> Icon {
        let chosen = match state {
            IconState::Idle => &self.idle,
            IconState::Active => &self.active,
            IconState::Attention => &self.attention,
        };
        chosen.clone().unwrap_or_else(|| {
            // A plain grey square rather than no icon at all.
            Icon::from_rgba(vec![128; 16 * 16 * 4], 16, 16).expect("a 16×16 RGBA buffer")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_icons_decode_to_32_px_rgba() {
        for bytes in [IDLE, ACTIVE, ATTENTION] {
            let (rgba, w, h) = decode(bytes).unwrap();
            assert_eq!((w, h), (32, 32));
            assert_eq!(rgba.len(), 32 * 32 * 4);
            assert!(
                rgba.chunks_exact(4).any(|p| p[3] == 0),
                "has a transparent background"
            );
            assert!(
                rgba.chunks_exact(4).any(|p| p[3] == 255),
                "has an opaque glyph"
            );
        }
    }
}
