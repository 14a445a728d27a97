import {
  Button as AriaButton,
  Text,
  UNSTABLE_Toast as Toast,
  UNSTABLE_ToastContent as ToastContent,
  UNSTABLE_ToastQueue as ToastQueue,
  UNSTABLE_ToastRegion as ToastRegion,
} from "react-aria-components";

/** Short confirmations ("Session revoked"), announced politely and gone after a few seconds. */
export const toasts = new ToastQueue<string>({ maxVisibleToasts: 3 });

export function toast(message: string) {
  toasts.add(message, { timeout: 5000 });
}

export function Toasts() {
  return (
    <ToastRegion queue={toasts} className="fixed right-4 bottom-4 z-50 flex flex-col gap-2">
      {({ toast: item }) => (
        <Toast
          toast={item}
          className="flex items-center gap-4 rounded-md bg-slate-900 px-4 py-3 text-sm text-white shadow-lg"
        >
          <ToastContent>
            <Text slot="title">{item.content}</Text>
          </ToastContent>
          <AriaButton slot="close" aria-label="Dismiss" className="rounded px-1 text-white">
            ×
          </AriaButton>
        </Toast>
      )}
    </ToastRegion>
  );
}
