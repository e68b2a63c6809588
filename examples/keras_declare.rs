//! Prints the `sequential!` declaration of a Keras 3 `.keras` archive, for
//! an editable copy of what `#[keras = ".."]` declares:
//!
//! ```text
//! cargo run --example keras_declare -- tests/reference/keras_files/mnist_convnet.keras Net
//! ```
//!
//! The weights stay in the archive: `Net::seeded(0)` then
//! `net.load_weights("model.keras")` reads them (Keras's layout, whatever the
//! layer names).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: keras_declare <model.keras> [StructName]");
        return ExitCode::from(2);
    };
    let name = args.get(1).map_or("Net", String::as_str);
    let declared = std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|bytes| nn::files::archive::read(&bytes))
        .and_then(|archive| nn::files::config::declaration(&archive.config));
    match declared {
        Ok(d) => {
            print!("{}", d.source(name));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::FAILURE
        }
    }
}
