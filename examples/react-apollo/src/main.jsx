import { ApolloProvider } from '@apollo/client/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { client } from './apollo.js';
import App from './App.jsx';
import { captureMailedLink } from './mailedLinks.js';
import { isOidcCallback, OidcCallback } from './Oidc.jsx';
import './style.css';

// A mailed link's token leaves the address bar before anything renders.
captureMailedLink();

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <ApolloProvider client={client}>
      {isOidcCallback() ? <OidcCallback /> : <App />}
    </ApolloProvider>
  </StrictMode>,
);
