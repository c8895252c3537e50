//! Variable expansion and shell parsing of arbitrary words: must never panic.
#![no_main]

use std::collections::BTreeMap;

use hoist::dockerfile::expand::Lexer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut env = BTreeMap::new();
    env.insert("A".to_string(), "a b  c".to_string());
    env.insert("EMPTY".to_string(), String::new());
    for escape in ['\\', '`'] {
        let lexer = Lexer::new(escape);
        let _ = lexer.process_word(&text, &env);
        let _ = lexer.process_words(&text, &env);
    }
    let _ = hoist::shell::parse(&text);
});
