// A hash router: the route is location.hash without '#' ('/', '/account',
// '/admin', …). Hash routes need nothing from the web server: any static
// host serves index.html for every route.
import { useEffect, useState } from 'react';

const current = () => location.hash.replace(/^#/, '') || '/';

/** The current route; re-renders the caller when it changes. */
export function useRoute() {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const onChange = () => setRoute(current());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** Goes to route ('/account'); links are plain <a href="#/account">. */
export function navigate(route) {
  location.hash = route;
}
