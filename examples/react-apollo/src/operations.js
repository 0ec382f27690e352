// Every GraphQL document the app sends, in one place (see schema.graphqls at
// the repository root for the fields).
import { gql } from '@apollo/client';

export const ME = gql`query Me { me { id email role mfaEnabled } }`;

const USER_FIELDS = 'id email role disabled createdAt';

export const LOGIN = gql`mutation Login($input: LoginInput!) { login(input: $input) { mfaRequired mfaToken user { id email role } } }`;
export const VERIFY_MFA = gql`mutation VerifyMfa($mfaToken: String!, $code: String!) {
  verifyMfa(mfaToken: $mfaToken, code: $code) { user { id email role mfaEnabled } }
}`;
export const REGISTER = gql`mutation Register($input: RegisterInput!) { register(input: $input) { user { id email role } } }`;
export const LOGOUT = gql`mutation Logout($allSessions: Boolean = false) { logout(allSessions: $allSessions) }`;

export const MY_SESSIONS = gql`query MySessions { mySessions { id createdAt lastUsedAt userAgent ip current } }`;
export const REVOKE_SESSION = gql`mutation RevokeSession($id: ID!) { revokeSession(id: $id) }`;

export const ADMIN_STATS = gql`query AdminStats {
  adminStats { users admins activeSessions revokedTokens loginsLast24h failedLoginsLast24h }
}`;
export const USERS = gql`query Users($first: Int, $after: String, $search: String) {
  users(first: $first, after: $after, search: $search) {
    edges { cursor node { ${USER_FIELDS} } }
    pageInfo { hasNextPage endCursor }
  }
}`;
export const SET_USER_DISABLED = gql`mutation SetUserDisabled($userId: ID!, $disabled: Boolean!) {
  setUserDisabled(userId: $userId, disabled: $disabled) { ${USER_FIELDS} }
}`;
export const SET_USER_ROLE = gql`mutation SetUserRole($userId: ID!, $role: Role!) {
  setUserRole(userId: $userId, role: $role) { ${USER_FIELDS} }
}`;

export const ENROLL_TOTP = gql`mutation EnrollTotp { enrollTotp { secret uri qrSvg } }`;
export const CONFIRM_TOTP = gql`mutation ConfirmTotp($code: String!) { confirmTotp(code: $code) }`;
export const REGENERATE_RECOVERY_CODES = gql`mutation RegenerateRecoveryCodes($code: String!) { regenerateRecoveryCodes(code: $code) }`;
export const DISABLE_TOTP = gql`mutation DisableTotp($code: String!) { disableTotp(code: $code) }`;
export const RECOVERY_CODES_REMAINING = gql`query RecoveryCodesRemaining { recoveryCodesRemaining }`;
