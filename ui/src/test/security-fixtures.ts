// Shared data for the security center's component tests.
import type {
  ApiClientInfo,
  RecoveryCodes,
  SecurityEventInfo,
  SecurityOverview,
  SessionInfo,
  TwoFactorEnrolment,
} from "$lib/ipc";

export function overview(overrides: Partial<SecurityOverview> = {}): SecurityOverview {
  return {
    email_verified: true,
    password_meets_rule: true,
    password_changed_at: "2026-10-02T12:00:00Z",
    two_factor: { enabled: false, enabled_at: null, recovery_codes_left: 0 },
    active_sessions: 2,
    unrecognised_sessions: 0,
    ...overrides,
  };
}

/** A small, plain QR-like SVG (what the Rust side renders, in miniature). */
export const QR_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="240" height="240" viewBox="0 0 29 29" shape-rendering="crispEdges"><rect x="0" y="0" width="29" height="29" fill="#ffffff"/><path fill="#000000" d="M4 4h7v7H4zM18 4h7v7h-7zM4 18h7v7H4z"/></svg>';

export const ENROLMENT: TwoFactorEnrolment = {
  secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
  secret_groups: "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP",
  otpauth_uri: "otpauth://totp/XWMS:anna%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=XWMS",
  qr_svg: QR_SVG,
  issuer: "XWMS",
  account_name: "anna@example.com",
  digits: 6,
  period_seconds: 30,
  algorithm: "SHA1",
  expires_at: "2026-11-25T09:40:00Z",
};

export const CODES: RecoveryCodes = {
  codes: ["k7m2-9xq4", "p3rt-8vwa", "c5nd-2hjy", "z9bf-6kex", "m4qs-7utr", "w2lp-3gnc", "h8vy-5dzm", "r6ck-1qpw", "t3xj-9bsf", "e7na-4mkd"],
  generated_at: "2026-11-25T09:31:00Z",
};

export function session(overrides: Partial<SessionInfo> = {}): SessionInfo {
  return {
    id: "ses_this",
    device_type: "desktop",
    device_name: "Anna's laptop",
    os: "Linux",
    app: "XWMS-Desktop",
    app_version: "0.1.0",
    software: "Linux · XWMS-Desktop 0.1.0",
    ip: "192.0.2.10",
    user_agent: "XWMS-Desktop/0.1.0",
    created_at: "2026-11-20T08:00:00Z",
    last_active_at: "2026-11-25T09:29:00Z",
    current: true,
    ...overrides,
  };
}

export const OTHER_SESSIONS: SessionInfo[] = [
  session({ id: "ses_phone", device_type: "mobile", device_name: "iPhone", os: "iOS 18", app: "XWMS", app_version: "3.2", software: "iOS 18 · XWMS 3.2", ip: "198.51.100.4", current: false, last_active_at: "2026-11-24T18:00:00Z" }),
  session({ id: "ses_cli", device_type: "cli", device_name: "build-server", os: "Debian", app: "xwms-cli", app_version: "0.1.0", software: "Debian · xwms-cli 0.1.0", ip: "203.0.113.9", current: false, last_active_at: "2026-11-10T07:00:00Z" }),
];

export function event(overrides: Partial<SecurityEventInfo> = {}): SecurityEventInfo {
  return {
    id: "evt_1",
    kind: "signed_in",
    at: "2026-11-25T08:00:00Z",
    ip: "192.0.2.10",
    device: "Anna's laptop",
    os: "Linux",
    app: "XWMS-Desktop",
    device_label: "Anna's laptop · Linux",
    session_id: "ses_this",
    alert: false,
    alert_status: null,
    session_active: true,
    ...overrides,
  };
}

export const ALERT = event({
  id: "evt_alert",
  kind: "new_device",
  device: "Firefox",
  os: "Windows",
  app: null,
  device_label: "Firefox · Windows",
  ip: "203.0.113.50",
  session_id: "ses_new",
  alert: true,
  alert_status: "pending",
});

export function apiClient(overrides: Partial<ApiClientInfo> = {}): ApiClientInfo {
  return {
    id: "cli_1",
    name: "Invoice export",
    client_id: "xwms_ci_3f9a1c",
    created_at: "2026-11-01T10:00:00Z",
    last_used_at: null,
    secret_created_at: "2026-11-01T10:00:00Z",
    enabled: true,
    ...overrides,
  };
}
