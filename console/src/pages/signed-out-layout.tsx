import { Outlet } from "@tanstack/react-router";

export default function SignedOutLayout() {
  return (
    <main className="flex min-h-screen flex-col items-center px-4 py-12 sm:py-20">
      <p className="mb-8 text-2xl font-semibold tracking-tight text-brand-700">Atrium</p>
      <div className="w-full max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm sm:p-8">
        <Outlet />
      </div>
    </main>
  );
}
