//! Importing rules written for other tools. ElastAlert 2 first: its users are who
//! trendwatch is for, and their rules are what they would bring.

pub mod elastalert;
