import { z } from "zod";

// Mirrors the backend's pydantic models (example/backend/schemas.py: TripDay, Itinerary).
// useObject shows the partial value while it streams, and validates the final one with it.
export const tripDaySchema = z.object({
  day: z.number().int(),
  title: z.string(),
  activities: z.array(z.string()),
});

export const itinerarySchema = z.object({
  destination: z.string(),
  summary: z.string(),
  days: z.array(tripDaySchema),
  tips: z.array(z.string()),
});

export type Itinerary = z.infer<typeof itinerarySchema>;
