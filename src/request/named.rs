//! Enums chosen by name: one table per enum gives the names the command line, the manifests and
//! error messages use, so no front end spells them on its own.

/// One value of a [`Named`] enum: its canonical name, accepted aliases and a line of help.
#[derive(Debug, Clone, Copy)]
pub struct NamedValue<T: 'static> {
    pub value: T,
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub help: &'static str,
}

impl<T: Copy> NamedValue<T> {
    pub const fn new(value: T, name: &'static str, help: &'static str) -> Self {
        NamedValue { value, name, aliases: &[], help }
    }

    pub const fn aliases(self, aliases: &'static [&'static str]) -> Self {
        NamedValue { value: self.value, name: self.name, aliases, help: self.help }
    }
}

/// An enum whose values a user picks by name (`--backend gpu`, `"mode": "colour"`).
pub trait Named: Sized + Copy + PartialEq + 'static {
    /// Every value, in the order help texts list them.
    const VALUES: &'static [NamedValue<Self>];

    /// The canonical name.
    fn name(self) -> &'static str {
        Self::VALUES.iter().find(|v| v.value == self).map_or("", |v| v.name)
    }

    /// The value a name or alias stands for (case-sensitive, as in JSON).
    fn from_name(name: &str) -> Option<Self> {
        Self::VALUES.iter().find(|v| v.name == name || v.aliases.contains(&name)).map(|v| v.value)
    }

    /// `auto, cpu, gpu`: for messages.
    fn names() -> String {
        Self::VALUES.iter().map(|v| v.name).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use crate::{BackendChoice, EditMode, Named, Preset};

    /// The table and serde agree on every name and alias.
    fn agrees_with_serde<T: Named + serde::de::DeserializeOwned + std::fmt::Debug>() {
        for v in T::VALUES {
            for name in std::iter::once(&v.name).chain(v.aliases) {
                let parsed: T = serde_json_like(name);
                assert_eq!(parsed, v.value, "{name}");
                assert_eq!(T::from_name(name), Some(v.value));
            }
        }
        assert_eq!(T::from_name("no such name"), None);
    }

    fn serde_json_like<T: serde::de::DeserializeOwned>(name: &str) -> T {
        use serde::de::IntoDeserializer;
        let d: serde::de::value::StrDeserializer<serde::de::value::Error> = name.into_deserializer();
        T::deserialize(d).unwrap()
    }

    #[test]
    fn names_match_serde() {
        agrees_with_serde::<BackendChoice>();
        agrees_with_serde::<EditMode>();
        agrees_with_serde::<Preset>();
        assert_eq!(EditMode::Colour.name(), "colour");
        assert_eq!(BackendChoice::names(), "auto, cpu, gpu");
    }
}
