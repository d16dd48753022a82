/** The renderer's entry: one bridge, one store, the Fluent theme of the OS, then the app. */
import { FluentProvider, Toaster } from '@fluentui/react-components';
import '@xterm/xterm/css/xterm.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { getBridge } from './api/client';
import { StoreContext } from './api/hooks';
import { LifeboatStore } from './api/store';
import './global.css';
import { TOASTER_ID } from './shell/Notifier';
import { useOsTheme } from './theme';

const store = new LifeboatStore(getBridge());
store.start();

function Root() {
  const { theme } = useOsTheme();
  return (
    <FluentProvider theme={theme}>
      <StoreContext.Provider value={store}>
        <App />
        <Toaster toasterId={TOASTER_ID} position="bottom-end" pauseOnHover pauseOnWindowBlur />
      </StoreContext.Provider>
    </FluentProvider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
