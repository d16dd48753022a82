/** The app's pages, in navigation order, addressed by hash (`#/jobs`) so reloads and Back keep the place. */
import { useSyncExternalStore } from 'react';

export const routes = [
  { id: 'dashboard', label: 'Dashboard' },
  { id: 'devices', label: 'Devices' },
  { id: 'storage-accounts', label: 'Storage accounts' },
  { id: 'backups', label: 'Backups' },
  { id: 'protected-items', label: 'Protected items' },
  { id: 'recovery-plans', label: 'Recovery plans' },
  { id: 'jobs', label: 'Jobs' },
  { id: 'alerts', label: 'Alerts' },
  { id: 'console', label: 'Console' },
  { id: 'settings', label: 'Settings' },
] as const;

export type RouteId = (typeof routes)[number]['id'];

const isRoute = (id: string): id is RouteId => routes.some((r) => r.id === id);

function currentRoute(): RouteId {
  const id = location.hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return isRoute(id) ? id : 'dashboard';
}

export function useRoute(): RouteId {
  return useSyncExternalStore((notify) => {
    window.addEventListener('hashchange', notify);
    return () => window.removeEventListener('hashchange', notify);
  }, currentRoute);
}

export function navigate(id: RouteId): void {
  location.hash = `#/${id}`;
}

export const routeLabel = (id: RouteId) => routes.find((r) => r.id === id)!.label;
