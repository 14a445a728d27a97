import type { ReactNode } from "react";

/** The frame of pages opened from an email link, signed in or not. */
export function LinkPage({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="flex min-h-screen flex-col items-center px-4 py-12 sm:py-20">
      <p className="mb-8 text-2xl font-semibold tracking-tight text-brand-700">Atrium</p>
      <div className="flex w-full max-w-sm flex-col gap-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm sm:p-8">
        <h1 className="text-xl font-semibold">{title}</h1>
        {children}
      </div>
    </main>
  );
}
