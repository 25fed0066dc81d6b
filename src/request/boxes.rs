//! Boxes with their unit in the type: a [`CanvasBox`] is in canvas user units (the document's
//! width × height at 96 dpi), a [`PixelBox`] in pixels of a bitmap. On the wire both are
//! `[x, y, width, height]`.

use serde::{Deserialize, Serialize};

use crate::RequestError;

macro_rules! boxed {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(from = "[f64; 4]", into = "[f64; 4]")]
        pub struct $name {
            pub x: f64,
            pub y: f64,
            pub width: f64,
            pub height: f64,
        }

        impl From<[f64; 4]> for $name {
            fn from([x, y, width, height]: [f64; 4]) -> Self {
                $name { x, y, width, height }
            }
        }

        impl From<$name> for [f64; 4] {
            fn from(b: $name) -> Self {
                [b.x, b.y, b.width, b.height]
            }
        }

        impl $name {
            /// `[x, y, width, height]`.
            pub fn to_array(self) -> [f64; 4] {
                self.into()
            }

            /// Checks that every value is finite and the box is not empty; `field` names it in
            /// the message.
            pub fn validate(self, field: &str) -> Result<(), RequestError> {
                let [x, y, w, h] = self.to_array();
                if [x, y, w, h].iter().all(|v| v.is_finite()) && w > 0.0 && h > 0.0 {
                    Ok(())
                } else {
                    Err(RequestError(format!(
                        "request field `{field}` must be [x, y, width, height] with a positive width and height"
                    )))
                }
            }
        }
    };
}

boxed!(
    /// A box in canvas user units (the document's viewport at 96 dpi), as the ROIs use.
    CanvasBox
);

boxed!(
    /// A box in pixels of a bitmap (vectorize's detail box).
    PixelBox
);
