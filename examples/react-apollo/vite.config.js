import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The app calls /graphql on its own origin; Vite passes the calls on to
// gqlauth, so that the cookies gqlauth sets belong to the app's origin and
// the browser sends them back (no CORS set-up needed).
const proxy = {
  '/graphql': { target: process.env.GQLAUTH_URL || 'http://127.0.0.1:8080' },
};

export default defineConfig({
  plugins: [react()],
  server: { proxy },
  preview: { proxy },
});
