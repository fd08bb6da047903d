//! Sightline's desktop shell. It holds no logic of its own: commands call the engine.

mod commands;
mod demo;
mod error;
mod follow;
mod state;

use tauri::Manager;

pub use error::AppError;
pub use state::{CaseInfo, RecentCase};

pub fn run() {
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .manage(state::AppState::default())
        .setup(|app| {
            let state = app.state::<state::AppState>();
            if let Ok(dir) = app.path().app_data_dir() {
                if let Ok(mut slot) = state.data_dir.lock() {
                    *slot = Some(dir);
                }
            }
            if let Ok(dir) = std::env::var("SIGHTLINE_CASE") {
                state::AppState::open_early(app.handle().clone(), dir.into());
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::open_case,
            commands::open_demo,
            commands::startup,
            commands::recent_cases,
            commands::case_info,
            commands::overview,
            commands::search,
            commands::search_page,
            commands::event_detail,
            commands::query_fields,
            commands::import_paths,
            commands::format_names,
            commands::cancel_work,
            commands::verify_case,
            commands::last_integrity,
            commands::case_journal,
            commands::export_columns,
            commands::set_tag,
            commands::set_star,
            commands::set_note,
            commands::case_tags,
            commands::set_tag_color,
            commands::saved_searches,
            commands::save_search,
            commands::delete_saved_search,
            commands::search_history,
            commands::event_position,
            commands::actor_profile,
            commands::field_stats,
            commands::write_report,
            commands::add_alias,
            commands::remove_alias,
            commands::export_events,
            commands::detections,
            commands::rule_sources,
            commands::run_detections,
            commands::event_detections,
            commands::frameworks,
            commands::compliance,
            commands::write_compliance_report,
            follow::follow_state,
            follow::start_follow,
            follow::stop_follow,
        ])
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("sightline: the window could not start: {e}");
            std::process::exit(1);
        });
}
