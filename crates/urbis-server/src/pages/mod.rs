//! The HTML pages. Each reads its state from the URL and answers either the
//! page or, with `format=`, the download of what it shows.

pub mod about;
pub mod area;
pub mod compare;
pub mod indicator;
pub mod initiatives;
pub mod layout;
pub mod overview;
pub mod segregation;
pub mod shared;
