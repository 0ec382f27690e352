// Every GraphQL document the app sends, in one place (see schema.graphqls at
// the repository root for the fields).
import { gql } from '@apollo/client';

export const ME = gql`query Me { me { id email role } }`;

const USER_FIELDS = 'id email role disabled createdAt';

export const LOGIN = gql`mutation Login($input: LoginInput!) { login(input: $input) { user { id email role } } }`;
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
