//! The page shell: skip link, header with navigation, main, footer.

use maud::{html, Markup, DOCTYPE};

use crate::view::{href, Format};

/// Which navigation entry the page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Overview,
    Indicators,
    Areas,
    Compare,
    Segregation,
    Initiatives,
    About,
    None,
}

pub fn page(title: &str, current: Nav, body: Markup) -> Markup {
    let entries = [
        (Nav::Overview, "/", "Overview"),
        (Nav::Indicators, "/indicators", "Indicators"),
        (Nav::Areas, "/areas", "Areas"),
        (Nav::Compare, "/compare", "Compare"),
        (Nav::Segregation, "/segregation", "Segregation"),
        (Nav::Initiatives, "/initiatives", "Initiatives"),
        (Nav::About, "/about", "Data and methods"),
    ];
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="stylesheet" href="/static/urbis.css";
            }
            body {
                a.skip href="#content" { "Skip to content" }
                header.site {
                    a.brand href="/" { "urbis" }
                    nav.main aria-label="Main" {
                        ul {
                            @for (nav, link, label) in entries {
                                li {
                                    @if nav == current { a href=(link) aria-current="page" { (label) } }
                                    @else { a href=(link) { (label) } }
                                }
                            }
                        }
                    }
                }
                main id="content" { (body) }
                footer.site {
                    "urbis " (env!("CARGO_PKG_VERSION")) " · migrant-integration indicators with honest uncertainty · "
                    a href="/api/v1" { "API" } " · EUPL-1.2"
                }
            }
        }
    }
}

/// Download links for a view: the same URL with `format=` for each format.
pub fn downloads(path: &str, params: &[(&str, String)], formats: &[Format]) -> Markup {
    html! {
        p.downloads {
            "Download this view: "
            @for f in formats {
                a href=(href(path, &with_format(params, *f))) { (f.label()) }
            }
        }
    }
}

fn with_format<'a>(params: &[(&'a str, String)], format: Format) -> Vec<(&'a str, String)> {
    let mut p = params.to_vec();
    p.push(("format", format.code().to_string()));
    p
}

/// A `<select>` with a label; the chosen value is `selected`.
pub fn select(name: &str, label: &str, options: &[(String, String)], selected: &str) -> Markup {
    html! {
        label {
            (label)
            select name=(name) {
                @for (value, text) in options {
                    @if value == selected { option value=(value) selected { (text) } }
                    @else { option value=(value) { (text) } }
                }
            }
        }
    }
}
