// The GraphQL documents of the email lifecycle: verification, password
// reset and email change by mailed links (see schema.graphqls).
import { gql } from '@apollo/client';

// The banner's own query: the cache merges it into the same User as `me`.
export const ME_VERIFIED = gql`query MeVerified { me { id email emailVerified } }`;

export const SEND_VERIFICATION_EMAIL = gql`mutation SendVerificationEmail { sendVerificationEmail }`;
export const VERIFY_EMAIL = gql`mutation VerifyEmail($token: String!) {
  verifyEmail(token: $token) { id email emailVerified }
}`;
export const REQUEST_PASSWORD_RESET = gql`mutation RequestPasswordReset($email: String!) {
  requestPasswordReset(email: $email)
}`;
export const RESET_PASSWORD = gql`mutation ResetPassword($token: String!, $newPassword: String!) {
  resetPassword(token: $token, newPassword: $newPassword)
}`;
export const REQUEST_EMAIL_CHANGE = gql`mutation RequestEmailChange($newEmail: String!) {
  requestEmailChange(newEmail: $newEmail)
}`;
export const CONFIRM_EMAIL_CHANGE = gql`mutation ConfirmEmailChange($token: String!) {
  confirmEmailChange(token: $token) { id email emailVerified }
}`;
