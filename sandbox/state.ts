// Everything the sandbox sites record, so task checks can read what the agent actually did.
import { createHash } from 'node:crypto';

export interface Order {
  id: string;
  sid: string;
  items: Array<{ slug: string; qty: number }>;
  name: string;
  email: string;
  address: string;
  shipping: string;
}
export interface Booking {
  id: string;
  sid: string;
  flight: string;
  date: string;
  passengers: Array<{ first: string; last: string }>;
  cabin: string;
}
export interface Reservation {
  id: string;
  sid: string;
  bookId: string;
  card: string;
}
export interface Thread {
  id: string;
  title: string;
  category: string;
  author: string;
  body: string;
  replies: Array<{ author: string; body: string }>;
  votes: number;
}
export interface Application {
  id: string;
  sid: string;
  permit: string;
  name: string;
  dob: string;
  email: string;
  street: string;
  city: string;
  postcode: string;
}

export class SandboxState {
  orders = new Map<string, Order>();
  carts = new Map<string, Map<string, number>>();
  bookings = new Map<string, Booking>();
  reservations = new Map<string, Reservation>();
  favourites = new Map<string, Set<string>>();
  threads = new Map<string, Thread>();
  applications = new Map<string, Application>();
  drafts = new Map<string, Record<string, string>>();
  /** The cookie choices visitors made in the recipes site's Complianz banner, by session: deny or allow. */
  consentChoices = new Map<string, 'deny' | 'allow'>();
  /**
   * What the sites saw of robots.txt: its fetches, every request for a path a site's robots.txt disallows
   * (by simple prefix, as the site declares it: no robots parser involved), and the user agents that came.
   */
  robots = {
    fetches: 0,
    disallowedRequests: [] as Array<{ url: string; userAgent: string }>,
    userAgents: new Set<string>(),
  };
  /**
   * Every page a tab loaded (Sec-Fetch-Dest: document), by host, session cookie and time: who visited when;
   * `redirected` when the answer was a redirect, whose next hop belongs to the same page load.
   */
  pageLoads: Array<{ host: string; sid: string; path: string; atMs: number; redirected: boolean }> = [];
  private counter = 0;

  /** Short ids that differ per record and per run. */
  newId(prefix: string): string {
    this.counter += 1;
    return `${prefix}${createHash('sha1').update(`${prefix}${this.counter}${process.pid}${Date.now()}`).digest('hex').slice(0, 6)}`;
  }

  cart(sid: string): Map<string, number> {
    let cart = this.carts.get(sid);
    if (!cart) this.carts.set(sid, (cart = new Map()));
    return cart;
  }

  toJSON(): unknown {
    const plain = (m: Map<string, unknown>) =>
      Object.fromEntries(
        [...m].map(([k, v]) => [k, v instanceof Set ? [...v] : v instanceof Map ? Object.fromEntries(v) : v]),
      );
    return {
      robots: {
        fetches: this.robots.fetches,
        disallowedRequests: this.robots.disallowedRequests,
        userAgents: [...this.robots.userAgents],
      },
      orders: plain(this.orders),
      bookings: plain(this.bookings),
      reservations: plain(this.reservations),
      favourites: plain(this.favourites),
      consentChoices: plain(this.consentChoices),
      threads: plain(this.threads),
      applications: plain(this.applications),
    };
  }
}
