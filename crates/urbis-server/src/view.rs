//! The state of a view, read from the URL, and the downloads every view
//! offers: the figures it shows as CSV, JSON-stat or SDMX-CSV, and its chart
//! or map as SVG.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use urbis_core::IndicatorRow;
use urbis_io::tables;

use crate::app::AppError;

/// Query parameters in order; a key may repeat (`geo=AT13&geo=AT34`) or
/// hold several values joined by `~` (`geo=AT13~AT34`).
#[derive(Debug, Clone, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// The last non-empty value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, v)| k == key && !v.is_empty()).map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, splitting `~`-joined lists, without repeats.
    pub fn list(&self, key: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (_, v) in self.0.iter().filter(|(k, _)| k == key) {
            for part in v.split('~').map(str::trim).filter(|p| !p.is_empty()) {
                if !out.iter().any(|o| o == part) {
                    out.push(part.to_string());
                }
            }
        }
        out
    }

    /// The format asked for (`format=`), HTML when absent.
    pub fn format(&self) -> Result<Format, AppError> {
        Format::parse(self.get("format"))
    }
}

/// A link to `path` with these parameters (empty ones dropped, lists joined by `~`).
pub fn href(path: &str, params: &[(&str, String)]) -> String {
    let kept: Vec<(&str, &str)> = params.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (*k, v.as_str())).collect();
    if kept.is_empty() {
        return path.to_string();
    }
    format!("{path}?{}", serde_urlencoded::to_string(kept).unwrap_or_default())
}

/// What a view is answered as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Csv,
    JsonStat,
    Sdmx,
    Svg,
    Json,
}

impl Format {
    pub fn parse(code: Option<&str>) -> Result<Format, AppError> {
        Ok(match code {
            None | Some("html") => Format::Html,
            Some("csv") => Format::Csv,
            Some("jsonstat") => Format::JsonStat,
            Some("sdmx") => Format::Sdmx,
            Some("svg") => Format::Svg,
            Some("json") => Format::Json,
            Some(_) => return Err(AppError::bad_request("unknown format: use csv, jsonstat, sdmx, svg or json")),
        })
    }

    pub fn code(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Csv => "csv",
            Format::JsonStat => "jsonstat",
            Format::Sdmx => "sdmx",
            Format::Svg => "svg",
            Format::Json => "json",
        }
    }

    /// The name of the download link.
    pub fn label(self) -> &'static str {
        match self {
            Format::Html => "HTML",
            Format::Csv => "CSV",
            Format::JsonStat => "JSON-stat",
            Format::Sdmx => "SDMX-CSV",
            Format::Svg => "SVG",
            Format::Json => "JSON",
        }
    }
}

/// The formats of a view of indicator figures.
pub const TABLE_FORMATS: [Format; 4] = [Format::Csv, Format::JsonStat, Format::Sdmx, Format::Svg];

/// The figures of a view as a file to download.
pub fn table_download(rows: &[IndicatorRow], format: Format, name: &str, label: &str) -> Result<Response, AppError> {
    let (bytes, media, extension) = match format {
        Format::Csv => (tables::csv::render(rows).map_err(AppError::internal)?, "text/csv; charset=utf-8", "csv"),
        Format::Sdmx => (
            tables::sdmx::render(rows, "URBIS:MIGR_INTEGR(1.0)").map_err(AppError::internal)?,
            "text/csv; charset=utf-8",
            "sdmx.csv",
        ),
        Format::JsonStat | Format::Json => {
            let meta = tables::jsonstat::DatasetMeta {
                label: label.to_string(),
                source: format!("urbis {}", env!("CARGO_PKG_VERSION")),
                updated: String::new(),
                labels: Default::default(),
            };
            (tables::jsonstat::render(rows, &meta).map_err(AppError::internal)?, "application/json", "json")
        }
        Format::Svg | Format::Html => return Err(AppError::internal("table_download called for a drawing")),
    };
    Ok(attachment(bytes, media, &format!("{name}.{extension}")))
}

/// An SVG drawing to download.
pub fn svg_download(svg: String, name: &str) -> Response {
    attachment(svg.into_bytes(), "image/svg+xml", &format!("{name}.svg"))
}

/// A file to download, with its name.
pub fn attachment(bytes: Vec<u8>, media: &'static str, file: &str) -> Response {
    let file: String =
        file.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    (
        [
            (header::CONTENT_TYPE, media.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")),
        ],
        bytes,
    )
        .into_response()
}
