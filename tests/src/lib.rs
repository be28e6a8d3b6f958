
pub mod db_support;
