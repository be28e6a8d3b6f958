//! Support for the database tests, the concurrency worker and the database benchmark:
//! test tasks and result structs, fresh databases per test, and raw SQL counts.
//!
//! Two things are written by hand on purpose: the benchmark's result row (30 scalar float
//! columns, as the Python reference's table has, where the derive would make one vector
//! column of a `[f64; 30]`), and the test tasks (one macro instantiating six families that
//! share one parameter set and differ in results and table).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

use astra_targets::column::ColumnMeta;
use astra_targets::value::ColumnValue;
use astra_targets::{
    AstraResults, AstraTask, Error, ParamKind, ParamMeta, ParamValue, Params, Result, ScalarType, TaskMeta, Value,
};

/// A column declaration, shortened.
const fn col(name: &'static str, ty: ScalarType, shape: &'static [usize], nullable: bool) -> ColumnMeta {
    ColumnMeta {
        name,
        ty,
        shape,
        nullable,
        width: if matches!(ty, ScalarType::Text) { 32 } else { 0 },
        unit: "",
        description: "",
        flags: &[],
    }
}

fn take<T: ColumnValue>(values: &mut std::vec::IntoIter<Value>, column: &str) -> Result<T> {
    let v = values.next().ok_or_else(|| Error::Column {
        column: column.into(),
        reason: "missing".into(),
    })?;
    T::from_value(v.clone()).ok_or_else(|| Error::Column {
        column: column.into(),
        reason: format!("{v:?} does not fit"),
    })
}

/// Results of ThePayne-like analysis: scalars, text, an optional integer, a vector and a
/// matrix.
#[derive(Debug, Clone, PartialEq, AstraResults)]
pub struct PayneResults {
    /// Effective temperature.
    pub teff: f32,
    /// Signal-to-noise ratio.
    pub snr: f64,
    /// A name.
    #[astra(width = 32)]
    pub name: String,
    /// An optional flag.
    pub flag: Option<i32>,
    /// Labels.
    pub labels: [f32; 3],
    /// Covariance.
    pub cov: [[f64; 3]; 3],
}

/// A newer version of [`PayneResults`] with one more column, `x_h` (same table).
#[derive(Debug, Clone, PartialEq, AstraResults)]
pub struct PayneResultsV2 {
    /// Effective temperature.
    pub teff: f32,
    /// Signal-to-noise ratio.
    pub snr: f64,
    /// A name.
    #[astra(width = 32)]
    pub name: String,
    /// An optional flag.
    pub flag: Option<i32>,
    /// Labels.
    pub labels: [f32; 3],
    /// Covariance.
    pub cov: [[f64; 3]; 3],
    /// An added column.
    pub x_h: Option<f64>,
}

impl PayneResultsV2 {
    /// A version-1 row with the added column.
    pub fn new(v1: PayneResults, x_h: Option<f64>) -> Self {
        let PayneResults {
            teff,
            snr,
            name,
            flag,
            labels,
            cov,
        } = v1;
        PayneResultsV2 {
            teff,
            snr,
            name,
            flag,
            labels,
            cov,
            x_h,
        }
    }

    /// The columns of version 1.
    pub fn v1(&self) -> PayneResults {
        let PayneResultsV2 {
            teff,
            snr,
            ref name,
            flag,
            labels,
            cov,
            ..
        } = *self;
        PayneResults {
            teff,
            snr,
            name: name.clone(),
            flag,
            labels,
            cov,
        }
    }
}

/// A result struct declaring `snr` as an integer: a type change the database refuses.
#[derive(Debug, Clone, PartialEq, AstraResults)]
pub struct PayneResultsBad {
    /// Effective temperature.
    pub teff: f32,
    /// Now an integer.
    pub snr: i64,
}

/// [`PayneResults`] with `snr` declared `f32`: both are `REAL` on SQLite, a change of the
/// declared type the database refuses.
#[derive(Debug, Clone, PartialEq, AstraResults)]
pub struct PayneResultsF32 {
    /// Effective temperature.
    pub teff: f32,
    /// Now single precision.
    pub snr: f32,
}

/// [`PayneResults`] with four labels instead of three: one BLOB or array type on both
/// backends, a change of the declared shape the database refuses.
#[derive(Debug, Clone, PartialEq, AstraResults)]
pub struct PayneResultsWide {
    /// Effective temperature.
    pub teff: f32,
    /// Four labels.
    pub labels: [f32; 4],
}

/// Float columns of every kind, for the NaN rules.
#[derive(Debug, Clone, PartialEq, AstraResults)]
pub struct NanResults {
    /// A plain double.
    pub x: f64,
    /// An optional double.
    pub y: Option<f64>,
    /// An optional single.
    pub z: Option<f32>,
    /// A plain single.
    pub w: f32,
    /// A vector.
    pub v: [f64; 2],
}

/// The names of the 30 float columns of the benchmark (as the Python reference's).
pub const BENCH_FLOATS: [&str; 30] = [
    "teff",
    "e_teff",
    "logg",
    "e_logg",
    "fe_h",
    "e_fe_h",
    "v_micro",
    "e_v_micro",
    "v_sini",
    "e_v_sini",
    "c_m_atm",
    "e_c_m_atm",
    "n_m_atm",
    "e_n_m_atm",
    "alpha_m_atm",
    "e_alpha_m_atm",
    "c_h",
    "e_c_h",
    "n_h",
    "e_n_h",
    "o_h",
    "e_o_h",
    "mg_h",
    "e_mg_h",
    "si_h",
    "e_si_h",
    "ca_h",
    "e_ca_h",
    "chi_sq",
    "r_chi_sq",
];

/// The benchmark's result row: a spectrum hash (text) and 30 floats, as the reference's.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchResults {
    /// A 32-hex-digit hash naming the spectrum.
    pub spectrum: String,
    /// The 30 float values.
    pub values: [f64; 30],
}

const fn bench_columns() -> [ColumnMeta; 31] {
    let mut out = [col("spectrum", ScalarType::Text, &[], false); 31];
    let mut i = 0;
    while i < 30 {
        out[i + 1] = col(BENCH_FLOATS[i], ScalarType::F64, &[], false);
        i += 1;
    }
    out
}
const BENCH_COLUMNS: [ColumnMeta; 31] = bench_columns();

impl AstraResults for BenchResults {
    const COLUMNS: &'static [ColumnMeta] = &BENCH_COLUMNS;
    fn to_values(&self) -> Vec<Value> {
        let mut v = Vec::with_capacity(31);
        v.push(Value::Text(self.spectrum.clone()));
        v.extend(self.values.iter().map(|x| Value::Float(*x)));
        v
    }
    fn from_values(values: Vec<Value>) -> Result<Self> {
        let mut it = values.into_iter();
        let spectrum = take(&mut it, "spectrum")?;
        let mut values = [0.0; 30];
        for (i, name) in BENCH_FLOATS.iter().enumerate() {
            values[i] = take(&mut it, name)?;
        }
        Ok(BenchResults { spectrum, values })
    }
}

/// The parameters of every test task.
pub const STAR_PARAMS: &[ParamMeta] = &[
    ParamMeta {
        name: "telescope",
        rust_type: "String",
        kind: ParamKind::Str,
        significant: true,
        description: "Telescope",
    },
    ParamMeta {
        name: "healpix",
        rust_type: "i64",
        kind: ParamKind::Int,
        significant: true,
        description: "HEALPix pixel",
    },
    ParamMeta {
        name: "obj",
        rust_type: "String",
        kind: ParamKind::Str,
        significant: true,
        description: "Object id",
    },
    ParamMeta {
        name: "n_threads",
        rust_type: "u32",
        kind: ParamKind::UInt,
        significant: false,
        description: "Threads",
    },
];

/// The parameters of a test task.
#[derive(Debug, Clone, PartialEq)]
pub struct Star {
    /// Telescope name.
    pub telescope: String,
    /// HEALPix pixel.
    pub healpix: i64,
    /// Object id.
    pub obj: String,
    /// Worker threads (insignificant).
    pub n_threads: u32,
}

impl Star {
    /// A star on `apo25m`.
    pub fn new(healpix: i64, obj: &str) -> Star {
        Star {
            telescope: "apo25m".into(),
            healpix,
            obj: obj.into(),
            n_threads: 4,
        }
    }

    fn values(&self) -> Vec<ParamValue> {
        vec![
            ParamValue::Str(self.telescope.clone()),
            ParamValue::Int(self.healpix),
            ParamValue::Str(self.obj.clone()),
            ParamValue::UInt(u64::from(self.n_threads)),
        ]
    }

    fn from_named(family: &'static str, v: &BTreeMap<String, ParamValue>) -> Result<Star> {
        let missing = |name: &str| Error::Parameter {
            family,
            name: name.into(),
            reason: "is missing".into(),
        };
        Ok(Star {
            telescope: v
                .get("telescope")
                .and_then(|x| x.as_str())
                .ok_or_else(|| missing("telescope"))?
                .to_string(),
            healpix: v
                .get("healpix")
                .and_then(|x| x.as_i64())
                .ok_or_else(|| missing("healpix"))?,
            obj: v
                .get("obj")
                .and_then(|x| x.as_str())
                .ok_or_else(|| missing("obj"))?
                .to_string(),
            n_threads: v.get("n_threads").and_then(|x| x.as_i64()).unwrap_or(1) as u32,
        })
    }
}

macro_rules! star_task {
    ($(#[$doc:meta])* $name:ident, $results:ty, $family:literal, $table:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name(pub Star);

        impl AstraTask for $name {
            type Results = $results;
            const META: &'static TaskMeta = &TaskMeta {
                family: $family,
                namespace: "test",
                version: "1.0.0",
                description: "A test task",
                rust_name: concat!("astra_targets_tests::db_support::", stringify!($name)),
                parameters: STAR_PARAMS,
                path: None,
                table: $table,
                results_type: stringify!($results),
                results: <$results as AstraResults>::COLUMNS,
            };
            fn parameters(&self) -> Params {
                // A hand-written task checks its values against its metadata.
                Params::new(Self::META, self.0.values()).expect("Star's values fit STAR_PARAMS")
            }
            fn from_parameters(values: &BTreeMap<String, ParamValue>) -> Result<Self> {
                Star::from_named($family, values).map($name)
            }
        }
    };
}

star_task!(
    /// ThePayne-like task.
    Payne, PayneResults, "ThePayne", "thepayne"
);
star_task!(
    /// A second family sharing ThePayne's table (for copy_from across tasks).
    PayneAgain, PayneResults, "ThePayneAgain", "thepayne"
);
star_task!(
    /// ThePayne with a newer result struct (one more column).
    PayneV2, PayneResultsV2, "ThePayne", "thepayne"
);
star_task!(
    /// ThePayne with a result struct changing a column's type.
    PayneBad, PayneResultsBad, "ThePayne", "thepayne"
);
star_task!(
    /// ThePayne with `snr` declared `f32`.
    PayneF32, PayneResultsF32, "ThePayne", "thepayne"
);
star_task!(
    /// ThePayne with four labels.
    PayneWide, PayneResultsWide, "ThePayne", "thepayne"
);
star_task!(
    /// A family whose results are floats of every kind.
    NanTask, NanResults, "NanTask", "nan_result"
);
star_task!(
    /// The benchmark's task: 31 result columns.
    Bench, BenchResults, "Bench", "bench_result"
);
star_task!(
    /// A family with its own table, for tests of other tables.
    Other, PayneResults, "Other", "other_result"
);

/// Results with a bitmask column whose bits are named.
#[derive(Debug, Clone, PartialEq, AstraResults)]
pub struct FlaggedResults {
    /// Effective temperature
    #[astra(unit = "K")]
    pub teff: f32,
    /// Quality flags
    #[astra(flags(
        TEFF_EDGE = (0, "teff near the edge of the grid"),
        LOW_SNR = (1, "signal-to-noise ratio below 20"),
        SIGN = (63, "the highest bit, for the sign's sake"),
    ))]
    pub flags: i64,
}

/// The same table with one bit renamed and one bit gone (a newer result struct).
#[derive(Debug, Clone, PartialEq, AstraResults)]
pub struct FlaggedResultsV2 {
    /// Effective temperature
    #[astra(unit = "K")]
    pub teff: f32,
    /// Quality flags
    #[astra(flags(
        TEFF_EDGE = (0, "teff near the edge of the grid"),
        VERY_LOW_SNR = (1, "signal-to-noise ratio below 10"),
    ))]
    pub flags: i64,
}

star_task!(
    /// A family whose results have named bits.
    Flagged, FlaggedResults, "Flagged", "flagged_result"
);
star_task!(
    /// The same family with a newer result struct (bits changed).
    FlaggedV2, FlaggedResultsV2, "Flagged", "flagged_result"
);

/// A sample result row, varied by `i`.
pub fn payne_row(i: usize) -> PayneResults {
    let x = i as f64;
    PayneResults {
        teff: 4000.0 + i as f32 * 10.5,
        snr: 50.0 + x / 3.0,
        name: format!("spectrum-{i}"),
        flag: if i.is_multiple_of(2) { Some(i as i32) } else { None },
        labels: [x as f32, -(x as f32) * 0.5, 1.0e-3],
        cov: [[x, 0.1, 0.2], [0.1, x * 2.0, -0.3], [0.2, -0.3, f64::MAX]],
    }
}

/// The PostgreSQL URL of the tests' server (`ASTRA_TEST_PG_URL`); panics with a clear
/// message when unset.
pub use crate::postgres::pg_url;

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    format!("{}/{name}{query}", &base[..host_end])
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A name unique to this process and call.
pub fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh, empty PostgreSQL database on the tests' server; returns its URL.
pub async fn fresh_pg_database() -> String {
    use sqlx::Connection;
    let admin = pg_url();
    let name = unique_name("astra_test");
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("connecting to {admin} (ASTRA_TEST_PG_URL): {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("creating database {name}: {e}"));
    conn.close().await.ok();
    with_database(&admin, &name)
}

/// A fresh SQLite database file in a new temporary folder; returns its URL and the folder
/// (deleted when dropped).
pub fn fresh_sqlite_database() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite://{}", dir.path().join("astra.db").display());
    (url, dir)
}

/// Runs a query returning one integer, outside the library (to check what is stored).
pub async fn scalar_i64(url: &str, sql: &str) -> i64 {
    use sqlx::{Connection, Row};
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("sqlite connection");
        sqlx::query(sql)
            .fetch_one(&mut c)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .get::<i64, _>(0)
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.expect("postgres connection");
        sqlx::query(sql)
            .fetch_one(&mut c)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .get::<i64, _>(0)
    }
}
