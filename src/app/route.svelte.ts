/**
 * Which view the page shows, from the URL hash: `#contribute`, `#submit`, `#ledger`, `#staking`,
 * `#governance`, `#economy`, anything else the "Try it" digit pad. Tests open a view directly by
 * its hash.
 */
export type View = 'try' | 'contribute' | 'submit' | 'ledger' | 'staking' | 'governance' | 'economy';

export const VIEWS: { id: View; hash: string; label: string }[] = [
  { id: 'try', hash: '#try', label: 'Try it' },
  { id: 'contribute', hash: '#contribute', label: 'Contribute' },
  { id: 'submit', hash: '#submit', label: 'Submit' },
  { id: 'ledger', hash: '#ledger', label: 'Ledger' },
  { id: 'staking', hash: '#staking', label: 'Staking' },
  { id: 'governance', hash: '#governance', label: 'Governance' },
  { id: 'economy', hash: '#economy', label: 'Economy' },
];

/** The view a hash names (default: try). */
export function viewOf(hash: string): View {
  const h = hash.replace(/^#\/?/, '').toLowerCase();
  return (VIEWS.find((v) => v.id === h && v.id !== 'try')?.id as View | undefined) ?? 'try';
}

class RouteState {
  view = $state<View>(typeof location === 'undefined' ? 'try' : viewOf(location.hash));

  constructor() {
    if (typeof window !== 'undefined') window.addEventListener('hashchange', () => (this.view = viewOf(location.hash)));
  }
}

export const route = new RouteState();
