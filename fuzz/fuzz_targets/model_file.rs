//! The model-file reader on random text: a refusal or a model that is sound by every
//! check, never a panic; what it accepts it must write back and read again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_stdlib::ml::artifact::Model;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(model) = Model::from_json(text) {
        let again = model.to_json().expect("a model that was read can be written");
        Model::from_json(&again).expect("and read back");
    }
});
