// The exploration task: a rollout with no success check, whose pages the refiner reads to propose tasks
// grounded in more of the site than its home page (InSTA's "briefly explore the website").
export const EXPLORE_INSTRUCTION =
  'Briefly explore this website: open the main sections a visitor would use, at most four pages, then answer with a short summary of what the site offers and where.';

/** Most steps an exploration may take before the rollout stops it (its instruction asks for four pages). */
export const EXPLORE_MAX_PAGES = 4;
