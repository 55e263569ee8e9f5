//! The support side against the real server on loopback, with real SQLite files.

use super::*;

#[test]
fn client_ids_are_uuid_v4_and_unique() {
    let a = new_client_id();
    let b = new_client_id();
    assert_ne!(a, b);
    assert_eq!(a.len(), 36);
    assert_eq!(&a[14..15], "4");
    assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
}

#[test]
fn local_checks_use_the_server_limits() {
    assert_eq!(
        check_message("", 0).unwrap_err().code,
        ErrorCode::MessageEmpty
    );
    assert!(check_message("", 1).is_ok());
    let long = "x".repeat(MESSAGE_MAX_CHARS + 1);
    assert_eq!(
        check_message(&long, 0).unwrap_err().code,
        ErrorCode::MessageTooLong
    );
    assert!(check_message(&"é".repeat(MESSAGE_MAX_CHARS), 0).is_ok());
    assert_eq!(
        check_attachment(b"\x89PNG\r\n\x1a\nrest").unwrap(),
        "image/png"
    );
    assert_eq!(
        check_attachment(&[0xff, 0xd8, 0xff, 0xe0]).unwrap(),
        "image/jpeg"
    );
    assert_eq!(check_attachment(b"%PDF-1.7").unwrap(), "application/pdf");
    assert_eq!(
        check_attachment(b"GIF89a").unwrap_err().code,
        ErrorCode::AttachmentType
    );
    let big = vec![0u8; ATTACHMENT_MAX_BYTES + 1];
    assert_eq!(
        check_attachment(&big).unwrap_err().code,
        ErrorCode::AttachmentTooLarge
    );
}

#[test]
fn transient_errors_leave_messages_queued_and_refusals_fail_them() {
    assert!(is_transient(&ErrorCode::Offline));
    assert!(is_transient(&ErrorCode::MessageRateLimited));
    assert!(!is_transient(&ErrorCode::MessageTooLong));
    assert!(!is_transient(&ErrorCode::ConversationClosed));
}
