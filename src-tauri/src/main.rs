// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

// The same allocator as the CLI: searches build many short-lived strings on several threads,
// and import does the same at scale.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // WebKit takes the page's language from LANG; the C/POSIX locale becomes the tag "C", which
    // Intl rejects, and charting code that formats numbers at load time then fails to start.
    let lang = std::env::var("LANG").unwrap_or_default();
    if lang.is_empty() || lang == "C" || lang == "POSIX" || lang.starts_with("C.") {
        std::env::set_var("LANG", "en_US.UTF-8");
    }
    sightline_desktop::run();
}
