//! The population model: households, their members and every person
//! variable. Each PSU is generated from two random streams keyed by the run
//! seed, its stratum and its number: the *structure* stream (how many
//! households, their type and size: read twice, once when planning and once
//! when generating) and the *content* stream (everything else).

use crate::area::{is_eu27, Area};
use crate::rng::{logistic, Rng};

/// Missing value in the integer columns.
pub(crate) const NA: i32 = -1;

const STREAM_STRUCTURE: u64 = 0x5757;
const STREAM_CONTENT: u64 = 0xC0C0;

/// Household types by the reference person's migration background.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum HhType {
    Native = 0,
    Second = 1,
    EuBorn = 2,
    NonEu = 3,
}

/// A person's migration background (the groups whose gaps the model sets).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Status {
    Native = 0,
    Second = 1,
    EuBorn = 2,
    NonEu = 3,
}

/// Household size distributions (1..=6) by household type.
const SIZES: [[f64; 6]; 4] = [
    [0.45, 0.32, 0.11, 0.09, 0.025, 0.005],
    [0.40, 0.28, 0.14, 0.12, 0.05, 0.01],
    [0.38, 0.30, 0.15, 0.12, 0.04, 0.01],
    [0.28, 0.22, 0.18, 0.17, 0.10, 0.05],
];

/// Gap parameters by status (native, second generation, EU-born, non-EU-born);
/// the non-native entries are scaled by the area's gap width.
const EMP_SHIFT: [f64; 4] = [0.0, -0.3, -0.15, -0.25];
const WOMEN_SHIFT: [f64; 4] = [0.0, -0.1, -0.1, -0.4];
const UNEMP_SHIFT: [f64; 4] = [0.0, 0.5, 0.3, 0.6];
const EDUC_SHIFT: [f64; 4] = [0.0, -0.25, 0.05, -0.2];
const EDUC_SCALE: [f64; 4] = [1.0, 1.1, 1.2, 1.6];
const OVERQUALIFIED: [f64; 4] = [0.17, 0.22, 0.32, 0.45];
const INCOME_SHIFT: [f64; 4] = [0.0, -0.1, -0.08, -0.28];
const OWNER_SHIFT: [f64; 4] = [0.0, -0.35, -0.7, -1.3];
const ROOMS_SHIFT: [f64; 4] = [0.0, -0.25, -0.35, -0.6];
const TEMP_RATE: [f64; 4] = [0.09, 0.12, 0.15, 0.22];

/// Origin-specific modifiers: employment logit, education shift, women's
/// extra employment shift, self-employment bonus, and an arrival wave
/// (year, share of arrivals in the three years from it).
struct OriginMod {
    emp: f64,
    educ: f64,
    women: f64,
    self_emp: f64,
    wave: Option<(i32, f64)>,
}

fn origin_mod(iso: &str) -> OriginMod {
    let m = |emp, educ, women, self_emp, wave| OriginMod { emp, educ, women, self_emp, wave };
    match iso {
        "SY" => m(-0.5, -0.3, -0.6, 0.02, Some((2015, 0.6))),
        "AF" => m(-0.5, -0.5, -0.7, 0.0, Some((2015, 0.45))),
        "IQ" => m(-0.45, -0.3, -0.6, 0.02, Some((2015, 0.35))),
        "ER" | "SO" => m(-0.5, -0.5, -0.5, 0.0, Some((2015, 0.4))),
        "UA" => m(-0.35, 0.4, 0.0, 0.0, Some((2022, 0.75))),
        "IR" => m(-0.1, 0.4, -0.2, 0.04, None),
        "US" | "GB" | "CA" | "AU" | "JP" | "KR" => m(0.15, 0.7, 0.0, 0.03, None),
        "IN" => m(0.2, 0.8, -0.4, 0.06, None),
        "CN" => m(0.05, 0.4, 0.0, 0.08, None),
        "VN" | "PK" | "BD" => m(0.0, -0.3, -0.5, 0.08, None),
        "TR" | "MA" | "DZ" | "TN" | "EG" => m(0.0, -0.35, -0.5, 0.05, None),
        "AL" | "BA" | "RS" | "MK" | "KZ" | "MD" => m(0.1, -0.2, -0.1, 0.01, None),
        "CO" | "VE" | "EC" | "PE" | "BO" | "HN" | "DO" | "PY" | "AR" | "BR" => m(0.25, 0.0, 0.35, 0.01, None),
        "PH" | "LK" => m(0.5, 0.1, 0.6, 0.0, None),
        "RO" | "BG" | "PL" | "HU" | "HR" | "SK" => m(0.15, -0.15, 0.0, 0.02, None),
        "DE" | "AT" | "FR" | "NL" | "BE" | "IT" | "ES" | "PT" | "GR" | "SE" | "DK" | "IE" | "FI" | "LU" => {
            m(0.1, 0.35, 0.0, 0.02, None)
        }
        _ => m(0.0, 0.0, 0.0, 0.0, None),
    }
}

/// Country codes used in a run, interned as u16.
pub(crate) struct Countries {
    pub codes: Vec<String>,
    eu: Vec<bool>,
    mods: Vec<OriginMod>,
}

impl Countries {
    fn intern(&mut self, iso: &str) -> u16 {
        if let Some(i) = self.codes.iter().position(|c| c == iso) {
            return i as u16;
        }
        self.codes.push(iso.to_string());
        self.eu.push(is_eu27(iso));
        self.mods.push(origin_mod(iso));
        (self.codes.len() - 1) as u16
    }
}

/// Per-area tables derived from the parameters.
pub(crate) struct AreaModel {
    pub own: u16,
    eu_origins: Vec<(u16, f64)>,
    non_eu_origins: Vec<(u16, f64)>,
    /// Cumulative household-type probabilities per district.
    pub hh_types: Vec<[f64; 4]>,
    log_median: f64,
}

pub(crate) struct Model {
    pub countries: Countries,
    pub areas: Vec<Area>,
    pub area_models: Vec<AreaModel>,
    pub seed: u64,
}

/// Cumulative origin table without the area's own country.
fn origins(mix: &[(&str, f64)], own: &str, countries: &mut Countries) -> Vec<(u16, f64)> {
    let mut acc = 0.0;
    mix.iter()
        .filter(|(c, _)| *c != own)
        .map(|&(c, w)| {
            acc += w;
            (countries.intern(c), acc)
        })
        .collect()
}

impl Model {
    pub fn new(areas: Vec<Area>, seed: u64) -> Model {
        let mut countries = Countries { codes: Vec::new(), eu: Vec::new(), mods: Vec::new() };
        let area_models = areas
            .iter()
            .map(|a| {
                let own = countries.intern(&a.iso);
                let eu_origins = origins(a.country.eu_mix, &a.iso, &mut countries);
                let non_eu_origins = origins(a.country.non_eu_mix, &a.iso, &mut countries);
                let hh_types = a
                    .districts
                    .iter()
                    .map(|d| {
                        let f = (a.foreign_share * d.migrant_factor).min(0.6);
                        // From person shares to household shares: migrant households are larger.
                        let non_eu = f * (1.0 - a.eu_share) * 0.85;
                        let eu = f * a.eu_share * 1.0;
                        let second = (non_eu + eu) * a.country.second_gen_ratio * 0.8;
                        let native = (1.0 - non_eu - eu - second).max(0.1);
                        [native, native + second, native + second + eu, native + second + eu + non_eu]
                    })
                    .collect();
                AreaModel { own, eu_origins, non_eu_origins, hh_types, log_median: a.country.median_income.ln() }
            })
            .collect();
        Model { countries, areas, area_models, seed }
    }

    /// The households of one PSU: (type, size before truncation).
    pub fn psu_structure(&self, area: usize, district: usize, stratum: usize, psu: usize, out: &mut Vec<(HhType, u8)>) {
        out.clear();
        let mut rng = Rng::new(self.seed, &[STREAM_STRUCTURE, stratum as u64, psu as u64]);
        let n = (5 + rng.poisson(3.0)).min(12);
        let cum = &self.area_models[area].hh_types[district];
        for _ in 0..n {
            let t = match rng.pick_cumulative(cum) {
                0 => HhType::Native,
                1 => HhType::Second,
                2 => HhType::EuBorn,
                _ => HhType::NonEu,
            };
            let size = rng.pick(&SIZES[t as usize]) as u8 + 1;
            out.push((t, size));
        }
    }
}

/// Person rows being built, one vector per column (codes; `NA` = missing).
pub(crate) struct Rows {
    pub psu: Vec<i32>,
    pub psu_id: Vec<i64>,
    pub hh_id: Vec<i64>,
    pub person_id: Vec<i64>,
    pub weight: Vec<f64>,
    pub sex: Vec<i32>,
    pub age: Vec<i32>,
    pub cob: Vec<u16>,
    pub citizenship: Vec<u16>,
    pub cob_father: Vec<u16>,
    pub cob_mother: Vec<u16>,
    pub years_res: Vec<i32>,
    pub ilo: Vec<i32>,
    pub unemp_months: Vec<i32>,
    pub stapro: Vec<i32>,
    pub temp: Vec<i32>,
    pub ftpt: Vec<i32>,
    pub isced: Vec<i32>,
    pub isco: Vec<i32>,
    pub educ4w: Vec<i32>,
    pub eq_income: Vec<f64>,
    pub tenure: Vec<i32>,
    pub rooms: Vec<i32>,
    pub hh_size: Vec<i32>,
    pub health: Vec<i32>,
}

impl Rows {
    pub fn with_capacity(n: usize) -> Rows {
        Rows {
            psu: Vec::with_capacity(n),
            psu_id: Vec::with_capacity(n),
            hh_id: Vec::with_capacity(n),
            person_id: Vec::with_capacity(n),
            weight: Vec::with_capacity(n),
            sex: Vec::with_capacity(n),
            age: Vec::with_capacity(n),
            cob: Vec::with_capacity(n),
            citizenship: Vec::with_capacity(n),
            cob_father: Vec::with_capacity(n),
            cob_mother: Vec::with_capacity(n),
            years_res: Vec::with_capacity(n),
            ilo: Vec::with_capacity(n),
            unemp_months: Vec::with_capacity(n),
            stapro: Vec::with_capacity(n),
            temp: Vec::with_capacity(n),
            ftpt: Vec::with_capacity(n),
            isced: Vec::with_capacity(n),
            isco: Vec::with_capacity(n),
            educ4w: Vec::with_capacity(n),
            eq_income: Vec::with_capacity(n),
            tenure: Vec::with_capacity(n),
            rooms: Vec::with_capacity(n),
            hh_size: Vec::with_capacity(n),
            health: Vec::with_capacity(n),
        }
    }

    pub fn len(&self) -> usize {
        self.age.len()
    }
}

/// Where a PSU sits: its stratum, identifiers and base weight.
pub(crate) struct PsuContext {
    pub area: usize,
    pub district: usize,
    pub stratum: usize,
    pub year: i32,
    /// PSU number within the stratum, from 0.
    pub psu: usize,
    pub psu_id: i64,
    pub first_hh_id: i64,
    pub persons: usize,
    pub base_weight: f64,
}

/// One member while the household is built.
#[derive(Clone, Copy)]
struct Member {
    sex: i32,
    age: i32,
    cob: u16,
    cit: u16,
    father: u16,
    mother: u16,
    years_res: i32,
}

#[derive(Clone, Copy, PartialEq)]
enum Role {
    Reference,
    Partner,
    Child,
    Elder,
}

impl Model {
    fn draw_origin(&self, am: &AreaModel, eu: bool, rng: &mut Rng) -> u16 {
        let table = if eu { &am.eu_origins } else { &am.non_eu_origins };
        let total = table.last().map_or(0.0, |t| t.1);
        let u = rng.uniform() * total;
        table.iter().find(|t| u < t.1).or(table.last()).map_or(am.own, |t| t.0)
    }

    /// Years since arrival of a foreign-born household from `origin`, surveyed in `year`.
    fn arrival(&self, origin: u16, year: i32, rng: &mut Rng) -> i32 {
        if let Some((wave, share)) = self.countries.mods[origin as usize].wave {
            if rng.chance(share) && year >= wave {
                return year - (wave + rng.range(0, 2)).min(year);
            }
        }
        if rng.chance(0.3) {
            rng.range(0, 4)
        } else {
            (5.0 + rng.exponential(11.0)).min(60.0) as i32
        }
    }

    /// Generates the households of one PSU, appending `ctx.persons` rows.
    pub fn generate_psu(&self, ctx: &PsuContext, structure: &[(HhType, u8)], rows: &mut Rows) {
        let mut rng = Rng::new(self.seed, &[STREAM_CONTENT, ctx.stratum as u64, ctx.psu as u64]);
        let mut remaining = ctx.persons;
        for (hh_id, &(t, size)) in (ctx.first_hh_id..).zip(structure) {
            if remaining == 0 {
                break;
            }
            let size = (size as usize).min(remaining);
            remaining -= size;
            self.household(ctx, t, size, hh_id, &mut rng, rows);
        }
    }

    fn household(&self, ctx: &PsuContext, t: HhType, size: usize, hh_id: i64, rng: &mut Rng, rows: &mut Rows) {
        let area = &self.areas[ctx.area];
        let am = &self.area_models[ctx.area];
        let cp = &area.country;
        let district = &area.districts[ctx.district];
        let own = am.own;
        let gap = area.gap;

        // Origin and arrival.
        let origin_eu = match t {
            HhType::EuBorn => true,
            HhType::NonEu => false,
            _ => rng.chance(area.eu_share),
        };
        let origin = if t == HhType::Native { own } else { self.draw_origin(am, origin_eu, rng) };
        let foreign_born = matches!(t, HhType::EuBorn | HhType::NonEu);
        let mut yrs = if foreign_born { self.arrival(origin, ctx.year, rng) } else { 0 };

        // Composition.
        let mut roles = [Role::Reference; 6];
        let couple = size >= 2 && rng.chance(if size == 2 { 0.72 } else { 0.85 });
        let elder = size >= 4 && rng.chance(0.12);
        let kids = size - 1 - couple as usize - elder as usize;
        let mut k = 1;
        if couple {
            roles[k] = Role::Partner;
            k += 1;
        }
        if elder {
            roles[k] = Role::Elder;
            k += 1;
        }
        for r in roles.iter_mut().take(size).skip(k) {
            *r = Role::Child;
        }
        let ref_age = if kids > 0 {
            rng.range(24, 50) + (rng.uniform() * 6.0) as i32
        } else if size == 1 {
            let u = rng.uniform();
            let young = if t == HhType::Native { 0.42 } else { 0.62 };
            if u < young {
                rng.range(18, 39)
            } else if u < young + 0.3 {
                rng.range(40, 64)
            } else {
                (65.0 + rng.exponential(9.0)).min(95.0) as i32
            }
        } else {
            rng.range(22, 88)
        };
        let ref_age = if t == HhType::Second { ref_age.min(rng.range(45, 62)) } else { ref_age };
        if foreign_born {
            yrs = yrs.min(ref_age);
        }
        let ref_sex = if rng.chance(0.5) { 1 } else { 2 };

        let mut members = [Member { sex: 1, age: 0, cob: own, cit: own, father: own, mother: own, years_res: NA }; 6];
        // Naturalisation of the foreign-born reference person (children follow).
        let nat_p = |yrs: i32, eu: bool| {
            cp.naturalisation * ((yrs as f64 - 5.0) / 15.0).clamp(0.0, 1.0) * if eu { 0.4 } else { 1.0 }
        };
        let ref_naturalised = foreign_born && rng.chance(nat_p(yrs, origin_eu));
        let foreign_cit_2g = rng.chance(cp.second_gen_foreign_citizens);
        for i in 0..size {
            let role = roles[i];
            let m = &mut members[i];
            match role {
                Role::Reference => {
                    m.sex = ref_sex;
                    m.age = ref_age;
                }
                Role::Partner => {
                    m.sex = if rng.chance(0.97) { 3 - ref_sex } else { ref_sex };
                    m.age = (ref_age + rng.range(-6, 6) + if ref_sex == 1 { -2 } else { 2 }).clamp(18, 95);
                }
                Role::Child => {
                    m.sex = if rng.chance(0.5) { 1 } else { 2 };
                    let max_age = (ref_age - 19).clamp(0, 24);
                    m.age = rng.range(0, max_age);
                }
                Role::Elder => {
                    m.sex = if rng.chance(0.65) { 2 } else { 1 };
                    m.age = (ref_age + rng.range(22, 34)).min(95);
                }
            }
        }
        // Countries of birth and citizenship.
        for i in 0..size {
            let role = roles[i];
            let age = members[i].age;
            let (cob, cit, years_res, father, mother);
            match (t, role) {
                (HhType::Native, Role::Partner) if rng.chance(0.07) => {
                    let o = self.draw_origin(am, rng.chance(area.eu_share), rng);
                    // Arrived as an adult, at some point before now.
                    let y = rng.range(0, (age - 18).max(0));
                    cob = o;
                    cit = if rng.chance(nat_p(y, self.countries.eu[o as usize]) + 0.2) { own } else { o };
                    years_res = y;
                    father = o;
                    mother = o;
                }
                (HhType::Native, Role::Child) | (HhType::Second, Role::Child) => {
                    // Parents: the reference person and the partner, by sex.
                    let (p, q) = (members[0], if couple { members[1] } else { members[0] });
                    let other = if couple {
                        q.cob
                    } else if rng.chance(0.7) {
                        p.cob
                    } else {
                        own
                    };
                    let (f, mo) = if p.sex == 1 { (p.cob, other) } else { (other, p.cob) };
                    cob = own;
                    cit = own;
                    years_res = NA;
                    father = f;
                    mother = mo;
                }
                (HhType::Native, _) => {
                    cob = own;
                    cit = own;
                    years_res = NA;
                    father = own;
                    mother = own;
                }
                (HhType::Second, Role::Reference) | (HhType::Second, Role::Partner) => {
                    let r = rng.uniform();
                    if role == Role::Partner && r < 0.45 {
                        cob = own;
                        cit = own;
                        years_res = NA;
                        father = own;
                        mother = own;
                    } else if role == Role::Partner && r < 0.7 {
                        let y = (rng.exponential(8.0) as i32).min(age);
                        cob = origin;
                        cit = if rng.chance(nat_p(y, origin_eu)) { own } else { origin };
                        years_res = y;
                        father = origin;
                        mother = origin;
                    } else {
                        // Second generation: native-born, at least one parent born abroad.
                        let f_foreign = rng.chance(0.85);
                        let m_foreign = !f_foreign || rng.chance(0.8);
                        cob = own;
                        cit = if foreign_cit_2g { origin } else { own };
                        years_res = NA;
                        father = if f_foreign { origin } else { own };
                        mother = if m_foreign { origin } else { own };
                    }
                }
                (HhType::Second, Role::Elder) => {
                    let y = rng.range(age - ref_age, age).max(0);
                    cob = origin;
                    cit = if rng.chance(nat_p(y, origin_eu)) { own } else { origin };
                    years_res = y;
                    father = origin;
                    mother = origin;
                }
                (_, Role::Reference) => {
                    cob = origin;
                    cit = if ref_naturalised { own } else { origin };
                    years_res = yrs;
                    father = origin;
                    mother = origin;
                }
                (_, Role::Partner) => {
                    let r = rng.uniform();
                    if r < 0.8 {
                        let y = (yrs - rng.poisson(1.5) as i32).clamp(0, age);
                        cob = origin;
                        cit = if ref_naturalised || rng.chance(nat_p(y, origin_eu) * 0.5) { own } else { origin };
                        years_res = y;
                        father = origin;
                        mother = origin;
                    } else if r < 0.92 {
                        cob = own;
                        cit = own;
                        years_res = NA;
                        father = own;
                        mother = own;
                    } else {
                        cob = own;
                        cit = own;
                        years_res = NA;
                        father = origin;
                        mother = origin;
                    }
                }
                (_, Role::Child) => {
                    let (p, q) = (members[0], if couple { members[1] } else { members[0] });
                    let other = if couple {
                        q.cob
                    } else if rng.chance(0.8) {
                        p.cob
                    } else {
                        own
                    };
                    let (f, mo) = if p.sex == 1 { (p.cob, other) } else { (other, p.cob) };
                    if age >= yrs && yrs > 0 {
                        cob = origin;
                        cit = if ref_naturalised { own } else { origin };
                        years_res = yrs;
                    } else {
                        cob = own;
                        cit = if !ref_naturalised && rng.chance(cp.second_gen_foreign_citizens) { origin } else { own };
                        years_res = NA;
                    }
                    father = f;
                    mother = mo;
                }
                (_, Role::Elder) => {
                    let y = rng.range(0, yrs.max(0)).min(age);
                    cob = origin;
                    cit = if rng.chance(nat_p(y, origin_eu) * 0.5) { own } else { origin };
                    years_res = y;
                    father = origin;
                    mother = origin;
                }
            }
            let m = &mut members[i];
            m.cob = cob;
            m.cit = cit;
            m.years_res = years_res;
            m.father = father;
            m.mother = mother;
        }

        // Person outcomes.
        let hh_z = rng.normal();
        let start = rows.len();
        let mut wa_adults = 0u32; // working-age adults (18–64, not students)
        let mut wa_employed = 0u32;
        let mut statuses = [Status::Native; 6];
        for (i, m) in members.iter().take(size).enumerate() {
            let status = if m.cob != own {
                if self.countries.eu[m.cob as usize] {
                    Status::EuBorn
                } else {
                    Status::NonEu
                }
            } else if m.father != own || m.mother != own {
                Status::Second
            } else {
                Status::Native
            };
            statuses[i] = status;
            let s = status as usize;
            let g = if s == 0 { 0.0 } else { gap };
            let om = match status {
                Status::EuBorn | Status::NonEu => &self.countries.mods[m.cob as usize],
                Status::Second => &self.countries.mods[if m.father != own { m.father } else { m.mother } as usize],
                Status::Native => &self.countries.mods[own as usize],
            };
            let om_w = match status {
                Status::Native => 0.0,
                Status::Second => 0.4,
                _ => 1.0,
            };
            let recent = m.years_res != NA && m.years_res < 5;
            let female = m.sex == 2;
            let age = m.age;

            // Education (ordered probit on a latent level shared partly within the household).
            let (mut isced, mut educ4w, mut high, mut low) = (NA, NA, false, false);
            if age >= 15 {
                let latent = EDUC_SHIFT[s] * g
                    + om.educ * om_w
                    + 0.6 * district.ses
                    + EDUC_SCALE[s] * (0.55 * hh_z + 0.835 * rng.normal());
                let (c1, c2) = match age {
                    0..=34 => (-1.175, 0.05),
                    35..=54 => (-1.04, 0.25),
                    55..=64 => (-0.84, 0.47),
                    _ => (-0.52, 0.84),
                };
                let c1 = c1 + cp.low_education_shift;
                let c2 = c2 + 0.5 * cp.low_education_shift;
                let eventual = if latent < c1 {
                    let (p0, p1) = if s == 3 { (0.1, 0.28) } else { (0.03, 0.17) };
                    let u = rng.uniform();
                    if u < p0 {
                        0
                    } else if u < p0 + p1 {
                        1
                    } else {
                        2
                    }
                } else if latent < c2 {
                    if rng.chance(0.85) {
                        3
                    } else {
                        4
                    }
                } else {
                    *[5, 6, 6, 6, 6, 7, 7, 7, 7, 8].get(rng.below(10) as usize).unwrap_or(&6)
                };
                let cap = match age {
                    15..=17 => 2,
                    18..=20 => 3,
                    21..=22 => 6,
                    23..=26 => 7,
                    _ => 8,
                };
                isced = eventual.min(cap);
                high = isced >= 5;
                low = isced <= 2;
                let p_train = match age {
                    15..=17 => 0.95,
                    18..=19 => 0.75,
                    20..=24 => 0.4 + 0.25 * (eventual >= 5) as i32 as f64,
                    25..=34 => 0.16,
                    35..=64 => 0.09 + 0.05 * high as i32 as f64,
                    _ => 0.03,
                } * if age >= 25 { [1.0, 0.9, 0.9, 0.75][s] } else { 1.0 };
                educ4w = rng.chance(p_train) as i32;
            }
            let student = age < 25 && educ4w == 1;

            // Labour market.
            let (mut ilo, mut unemp_months, mut stapro, mut temp, mut ftpt, mut isco) = (NA, NA, NA, NA, NA, NA);
            if age >= 15 {
                let base = match age {
                    15..=19 => -1.0,
                    20..=24 => 1.2,
                    25..=29 => 2.3,
                    30..=49 => 2.9,
                    50..=54 => 2.6,
                    55..=59 => 2.0,
                    60..=64 => 0.5,
                    65..=69 => -1.9,
                    70..=74 => -3.0,
                    _ => -4.5,
                };
                let mut x = base
                    + if female {
                        if (25..65).contains(&age) {
                            -0.55
                        } else {
                            -0.25
                        }
                    } else {
                        0.0
                    };
                x += if low {
                    -0.75
                } else if high {
                    0.5
                } else {
                    0.0
                };
                x += if student { -2.0 } else { 0.0 };
                x += EMP_SHIFT[s] * g + om.emp * om_w + if female { WOMEN_SHIFT[s] * g + om.women * om_w } else { 0.0 };
                x += if recent { -0.6 } else { 0.0 } + 0.3 * district.ses + 0.15 * hh_z;
                let active = rng.chance(logistic(x));
                if active {
                    let mut u = -3.1 + cp.unemployment_shift + UNEMP_SHIFT[s] * g - 0.3 * hh_z;
                    u += if age < 25 { 0.9 } else { 0.0 }
                        + if low {
                            0.7
                        } else if high {
                            -0.5
                        } else {
                            0.0
                        };
                    u += if recent { 0.5 } else { 0.0 };
                    if rng.chance(logistic(u)) {
                        ilo = 2;
                        let mean = [9.0, 11.0, 10.0, 13.0][s] + if age >= 50 { 5.0 } else { 0.0 };
                        unemp_months = (1.0 + rng.exponential(mean)).min(120.0) as i32;
                    } else {
                        ilo = 1;
                    }
                } else {
                    ilo = 3;
                }
                if ilo == 1 {
                    let p_self = [0.09, 0.09, 0.11, 0.09][s] + om.self_emp * om_w + 0.03 * high as i32 as f64;
                    let u = rng.uniform();
                    stapro = if u < p_self {
                        2
                    } else if u < p_self + if s == 3 { 0.01 } else { 0.005 } {
                        3
                    } else {
                        1
                    };
                    if stapro == 1 {
                        let mut p = TEMP_RATE[s] * cp.temp_factor;
                        if age < 25 {
                            p = (p * 3.5).min(0.8);
                        }
                        if recent {
                            p += 0.1;
                        }
                        temp = rng.chance(p.min(0.9)) as i32;
                    }
                    let mut p_pt = if female { cp.women_part_time } else { 0.09 };
                    if student {
                        p_pt += 0.35;
                    }
                    if s == 3 {
                        p_pt += 0.05;
                    }
                    ftpt = if rng.chance(p_pt.min(0.9)) { 2 } else { 1 };
                    isco = self.isco(s, g, high, low, recent, stapro, m.cit == own, rng);
                    if (18..65).contains(&age) {
                        wa_employed += 1;
                    }
                }
            }
            if (18..65).contains(&age) && !student {
                wa_adults += 1;
            }

            rows.sex.push(m.sex);
            rows.age.push(age);
            rows.cob.push(m.cob);
            rows.citizenship.push(m.cit);
            rows.cob_father.push(m.father);
            rows.cob_mother.push(m.mother);
            rows.years_res.push(m.years_res);
            rows.ilo.push(ilo);
            rows.unemp_months.push(unemp_months);
            rows.stapro.push(stapro);
            rows.temp.push(temp);
            rows.ftpt.push(ftpt);
            rows.isced.push(isced);
            rows.isco.push(isco);
            rows.educ4w.push(educ4w);
            rows.person_id.push(hh_id * 100 + i as i64 + 1);
        }

        // Household: income, tenure, rooms, weight; then health (depends on income).
        let ref_status = statuses[0] as usize;
        let g = if ref_status == 0 { 0.0 } else { gap };
        let ref_recent = members[0].years_res != NA && members[0].years_res < 5;
        let wi = if wa_adults > 0 { wa_employed as f64 / wa_adults as f64 } else { 0.6 };
        let children = members.iter().take(size).filter(|m| m.age < 14).count() as f64;
        let mu = am.log_median
            + 0.06
            + 0.15 * district.ses
            + 0.2 * hh_z
            + 0.75 * (wi - 0.7)
            + INCOME_SHIFT[ref_status] * g
            + if ref_recent { -0.15 } else { 0.0 }
            - 0.05 * children;
        let eq_income = rng.lognormal(mu, 0.42).round().max(1.0);
        let inc_z = eq_income.ln() - am.log_median;
        let ref_age = members[0].age as f64;
        let p_owner = logistic(
            (cp.owner_rate / (1.0 - cp.owner_rate)).ln()
                + 0.9 * inc_z
                + 0.03 * (ref_age - 50.0)
                + OWNER_SHIFT[ref_status] * g
                + if ref_recent { -1.0 } else { 0.0 },
        );
        let tenure = if rng.chance(p_owner) { 1 } else { 2 };
        // Rooms needed (Eurostat overcrowding rule, simplified) plus a slack.
        let adults = members.iter().take(size).filter(|m| m.age >= 18).count() as i32;
        let young = members.iter().take(size).filter(|m| m.age < 18).count() as i32;
        let needed = 1 + if couple { adults - 1 } else { adults } + (young + 1) / 2;
        let slack_latent = 1.0 + 0.9 * inc_z + if tenure == 1 { 0.5 } else { 0.0 } + ROOMS_SHIFT[ref_status] * g
            - 0.15 * (size as f64 - 2.0)
            + rng.normal();
        let rooms = (needed + slack_latent.floor().clamp(-2.0, 3.0) as i32).max(1);
        let migrant_hh = ref_status != 0;
        let weight = ctx.base_weight * (0.2 * rng.normal() - 0.02).exp() * if migrant_hh { 1.12 } else { 1.0 };
        let weight = ((weight * 100.0).round() / 100.0).max(1.0);
        for m in members.iter().take(size) {
            let health = if m.age >= 16 {
                let latent = -0.045 * (m.age as f64 - 40.0) + 0.3 * inc_z + rng.normal();
                if latent > 0.5 {
                    1
                } else if latent > -0.85 {
                    2
                } else if latent > -1.85 {
                    3
                } else if latent > -2.7 {
                    4
                } else {
                    5
                }
            } else {
                NA
            };
            rows.health.push(health);
        }
        let n = rows.len() - start;
        rows.psu.extend(std::iter::repeat_n(ctx.psu as i32 + 1, n));
        rows.psu_id.extend(std::iter::repeat_n(ctx.psu_id, n));
        rows.hh_id.extend(std::iter::repeat_n(hh_id, n));
        rows.weight.extend(std::iter::repeat_n(weight, n));
        rows.eq_income.extend(std::iter::repeat_n(eq_income, n));
        rows.tenure.extend(std::iter::repeat_n(tenure, n));
        rows.rooms.extend(std::iter::repeat_n(rooms, n));
        rows.hh_size.extend(std::iter::repeat_n(size as i32, n));
    }

    /// ISCO major group of an employed person.
    #[allow(clippy::too_many_arguments)]
    fn isco(
        &self,
        s: usize,
        g: f64,
        high: bool,
        low: bool,
        recent: bool,
        stapro: i32,
        citizen: bool,
        rng: &mut Rng,
    ) -> i32 {
        if stapro == 1 && citizen && s == 0 && rng.chance(0.004) {
            return 0;
        }
        let scaled = |native: f64, group: f64| native + (group - native) * if s == 0 { 0.0 } else { g };
        let p_skilled = if high {
            1.0 - (scaled(OVERQUALIFIED[0], OVERQUALIFIED[s]) + if recent { 0.12 } else { 0.0 }).min(0.9)
        } else if low {
            scaled(0.08, [0.08, 0.06, 0.05, 0.04][s])
        } else {
            scaled(0.38, [0.38, 0.3, 0.28, 0.2][s])
        };
        if rng.chance(p_skilled) {
            let w: &[f64; 3] = if high { &[0.1, 0.55, 0.35] } else { &[0.12, 0.18, 0.7] };
            return 1 + rng.pick(w) as i32;
        }
        // ISCO 4..=9
        let w: [f64; 6] = if high {
            [0.3, 0.35, 0.01, 0.1, 0.08, 0.16]
        } else if low {
            [0.1, 0.33, 0.02, 0.18, 0.13, 0.24 + 0.1 * (s == 3) as i32 as f64]
        } else {
            [0.25, 0.35, 0.01, 0.17, 0.1, 0.12 + 0.06 * (s == 3) as i32 as f64]
        };
        4 + rng.pick(&w) as i32
    }
}
